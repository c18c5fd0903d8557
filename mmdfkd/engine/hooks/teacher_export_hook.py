import os
import os.path as osp

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model


@HOOKS.register_module()
class TeacherExportHook(Hook):
    """After training, writes the model's weights alone as
    ``<work_dir>/<filename>`` (``{'state_dict': ...}``): the file a
    data-free config's ``model.teacher_ckpt`` reads.

    Weights only, so that the file loads with
    ``torch.load(weights_only=True)``. Written to a temporary name and
    renamed, so that an interrupted run leaves no partial file.

    Args:
        filename (str): Defaults to ``'teacher.pth'``.
    """
    priority = 'VERY_LOW'

    def __init__(self, filename: str = 'teacher.pth') -> None:
        self.filename = filename

    def after_train(self, runner) -> None:
        if not is_main_process():
            return
        path = osp.join(runner.work_dir, self.filename)
        state = {
            k: v.detach().cpu()
            for k, v in unwrap_model(runner.model).state_dict().items()
        }
        torch.save(dict(state_dict=state), path + '.tmp')
        os.replace(path + '.tmp', path)
        runner.message_hub.update_info('teacher_checkpoint', path)
        runner.logger.info(f'teacher weights exported: {path}')
