import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmdfkd.engine.export import export_student
from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model


@HOOKS.register_module()
class StudentExportHook(Hook):
    """After training, writes the final student as a plain checkpoint and
    config of its own library (see :func:`mmdfkd.engine.export_student`).

    Args:
        out_dir (str): Folder under the work dir. Defaults to ``'student'``.
    """
    priority = 'VERY_LOW'

    def __init__(self, out_dir: str = 'student') -> None:
        self.out_dir = out_dir

    def after_train(self, runner) -> None:
        if not is_main_process():
            return
        out_dir = osp.join(runner.work_dir, self.out_dir)
        if osp.isfile(osp.join(out_dir, 'student.pth')):
            # a resumed run's own earlier export (tools/train.py refuses
            # a new run into a work dir holding one, unless --overwrite)
            runner.logger.info(
                f'replacing the export in {out_dir} with the student of '
                f'round {runner.iter}')
        cfg_path, ckpt_path = export_student(
            runner.cfg,
            unwrap_model(runner.model).final_student, out_dir)
        runner.message_hub.update_info('student_checkpoint', ckpt_path)
        runner.logger.info(f'student exported: {ckpt_path} ({cfg_path})')
