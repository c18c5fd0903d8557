"""Write the student as a plain checkpoint + config of its own library, and
a trained teacher as plain weights."""
import os
import os.path as osp
import shutil
from typing import Tuple

import torch
from mmengine.config import Config
from torch import nn

from mmdfkd.engine.strict_load import build_runner
from mmdfkd.models.algorithms.networks import network_cfg
from mmdfkd.utils import unwrap_model

#: What an exported config keeps of the training config to evaluate the
#: student with the ordinary tools (e.g. mmpretrain's or mmseg's test.py;
#: mmseg's ``inference_model`` reads the top-level ``test_pipeline``).
EVAL_KEYS = ('val_dataloader', 'val_evaluator', 'val_cfg', 'test_dataloader',
             'test_evaluator', 'test_cfg', 'test_pipeline', 'env_cfg',
             'randomness')


def export_student(cfg: Config, student: nn.Module,
                   out_dir: str) -> Tuple[str, str]:
    """Save ``student`` as ``student.pth`` (``{'state_dict', 'meta'}``) and
    ``student_config.py`` (the student's model config, in its own scope, and
    the evaluation settings of ``cfg``) under ``out_dir``.

    The config's ``work_dir`` is named after the student,
    ``work_dirs/<run>_<out_dir name>`` (e.g. ``work_dirs/dfq_digits_student``
    for ``work_dirs/dfq_digits/student``): test tools that default to
    ``work_dirs/<config name>`` would otherwise put every exported student's
    results in the same ``work_dirs/student_config``.

    Returns:
        tuple[str, str]: Paths of the config and the checkpoint.
    """
    os.makedirs(out_dir, exist_ok=True)
    model = network_cfg(cfg.model.student)
    scope = model.pop('_scope_', None) or cfg.get('default_scope')
    out = osp.abspath(out_dir)
    exported = dict(
        model=model,
        default_scope=scope,
        work_dir=osp.join(
            'work_dirs',
            f'{osp.basename(osp.dirname(out))}_{osp.basename(out)}'))
    imports = list(cfg.get('custom_imports', {}).get('imports', []))
    exported['custom_imports'] = dict(
        imports=sorted(set(imports) | {'mmdfkd'}),
        allow_failed_imports=False)
    for key in EVAL_KEYS:
        if key in cfg:
            exported[key] = cfg[key]
    if 'test_pipeline' in exported:
        exported['test_pipeline'] = inference_pipeline(
            exported['test_pipeline'])
    cfg_path = osp.join(out_dir, 'student_config.py')
    Config(exported).dump(cfg_path)
    ckpt_path = osp.join(out_dir, 'student.pth')
    state = {
        k: v.detach().cpu()
        for k, v in unwrap_model(student).state_dict().items()
    }
    torch.save(
        dict(state_dict=state, meta=dict(exported_by='mmdfkd',
                                         config=osp.basename(cfg_path))),
        ckpt_path)
    return cfg_path, ckpt_path


def inference_pipeline(pipeline: list) -> list:
    """The test pipeline without annotation loading, as mmseg's
    ``inference_model`` needs it (images come without labels there); mmseg
    drops only the unscoped ``'LoadAnnotations'`` itself."""
    return [
        t for t in pipeline
        if not str(t.get('type', '')).split('.')[-1] == 'LoadAnnotations'
    ]


def train_teacher_weights(cfg: Config, path: str) -> str:
    """Train the teacher of ``cfg`` (its ``work_dir`` set) with the standard
    runner; its ``TeacherExportHook`` writes the weights alone; return
    their path, copied to ``path`` when that is another file.

    Weights only, so that the file loads with
    ``torch.load(weights_only=True)``; written to a temporary name and
    renamed, so that an interrupted run leaves no partial file that a later
    run would take for a cached teacher.

    Raises:
        ValueError: ``cfg`` has no ``TeacherExportHook``.
    """
    runner = build_runner(cfg)
    runner.train()
    written = runner.message_hub.get_info('teacher_checkpoint')
    if written is None:
        raise ValueError(
            'the teacher config has no TeacherExportHook in custom_hooks '
            "(custom_hooks = [dict(type='mmdfkd.TeacherExportHook')])")
    if osp.abspath(written) != osp.abspath(path):
        shutil.copyfile(written, path + '.tmp')
        os.replace(path + '.tmp', path)
    return path
