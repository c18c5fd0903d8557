"""Write the student as a plain checkpoint + config of its own library, and
a trained teacher as plain weights."""
import os
import os.path as osp
from typing import Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
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

    Returns:
        tuple[str, str]: Paths of the config and the checkpoint.
    """
    os.makedirs(out_dir, exist_ok=True)
    model = network_cfg(cfg.model.student)
    scope = model.pop('_scope_', None) or cfg.get('default_scope')
    exported = dict(model=model, default_scope=scope)
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
    runner and keep its last checkpoint's weights as ``path``
    (:func:`save_teacher_weights`); return ``path``."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    return save_teacher_weights(cfg.work_dir, path)


def save_teacher_weights(work_dir: str, path: str) -> str:
    """Save the ``state_dict`` of the last checkpoint of the run in
    ``work_dir`` alone as ``path``; return ``path``. When ``path`` is that
    last checkpoint itself (a config that reads what ``tools/train.py``
    writes, e.g. ``epoch_15.pth``), it is left as the runner wrote it.

    Weights only, so that the file loads with
    ``torch.load(weights_only=True)``; written to ``path + '.tmp'`` and
    renamed, so that an interrupted run leaves no partial file that a later
    run would take for a cached teacher.
    """
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        last = f.read().strip()
    if osp.abspath(last) == osp.abspath(path):
        return path
    state = load_untrusted_checkpoint(last)['state_dict']
    torch.save(dict(state_dict=state), path + '.tmp')
    os.replace(path + '.tmp', path)
    return path
