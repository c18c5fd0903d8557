"""Build teacher and student networks from mmpretrain / mmseg configs and
load the teacher's weights."""
import copy
import functools
import os.path as osp
from typing import Dict, Optional, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmdfkd.registry import MODELS


def network_cfg(cfg: Union[str, dict]) -> dict:
    """A model config from an inline dict or a config path.

    A path may be a file or a package reference such as
    ``'mmpretrain::resnet/resnet18_8xb16_cifar10.py'``; its ``model`` is
    taken and built in the config's ``default_scope``.
    """
    if isinstance(cfg, (dict, ConfigDict)):
        return dict(cfg)
    if not isinstance(cfg, str):
        raise TypeError(f'a network is a config dict or path, got {cfg!r}')
    # a package's config does not change; a file is read again when it did
    # (or when the working directory did)
    stamp = None if '::' in cfg else (
        osp.abspath(cfg), osp.getmtime(cfg) if osp.isfile(cfg) else None)
    return copy.deepcopy(_model_of_config(cfg, stamp))


@functools.lru_cache(maxsize=16)
def _model_of_config(cfg: str,
                     stamp: Optional[Tuple[str, Optional[float]]]) -> dict:
    """The ``model`` of config path ``cfg`` (:func:`network_cfg`), parsed
    once per ``stamp``: a distiller's build, its checks and its export read
    each network's config several times, and an mmseg config takes about
    0.5 CPU s to parse."""
    if '::' in cfg:  # a config shipped inside a package
        from mmengine.hub import get_config
        full = get_config(cfg)
    else:
        full = Config.fromfile(cfg)
    if 'model' not in full:
        raise ValueError(f'config {cfg!r} defines no `model`')
    model = dict(full.model)
    # mmpretrain configs keep the normalisation at the top level.
    if 'data_preprocessor' not in model and full.get('data_preprocessor'):
        model['data_preprocessor'] = dict(full.data_preprocessor)
    scope = full.get('default_scope')
    if scope and '_scope_' not in model:
        model['_scope_'] = scope
    return model


def build_network(cfg: Union[str, dict], role: str) -> nn.Module:
    """Build the teacher or student, with a hint when the scope is missing."""
    # nested dicts as ConfigDicts: mmseg reads e.g. `test_cfg.mode`
    model_cfg = ConfigDict(network_cfg(cfg))
    if role == 'teacher':
        # Its weights come from `teacher_ckpt`: never fetch the pretrained
        # backbone a training recipe names (mmseg's ResNet-50 ones do).
        model_cfg.pop('pretrained', None)
        backbone = model_cfg.get('backbone')
        if isinstance(backbone, dict) and (backbone.get('init_cfg')
                                           or {}).get('type') == 'Pretrained':
            backbone.pop('init_cfg')
    try:
        return MODELS.build(model_cfg)
    except KeyError as e:
        raise KeyError(
            f'cannot build the {role} network: {e}. Types of mmpretrain or '
            "mmseg need `_scope_='mmpretrain'` (or 'mmseg') in the inline "
            'config, or a config path such as '
            "'mmpretrain::resnet/resnet18_8xb16_cifar10.py'.") from e


def teacher_training_command(teacher_config: str, path: str) -> str:
    """The ``tools/train.py`` command that writes ``<dir of path>/
    teacher.pth``: the teacher config's ``TeacherExportHook`` writes it into
    the work dir, ``work_dirs/<config name>`` unless ``--work-dir`` says
    otherwise."""
    work_dir = osp.dirname(path) or '.'
    default = osp.join('work_dirs',
                       osp.splitext(osp.basename(teacher_config))[0])
    command = f'python tools/train.py {teacher_config}'
    if osp.normpath(work_dir) != osp.normpath(default):
        command += f' --work-dir {work_dir}'
    return command


def require_teacher_checkpoint(path: str,
                               teacher_config: Optional[str] = None,
                               released: Optional[str] = None) -> None:
    """Raise when the teacher checkpoint ``path`` is not a file, naming the
    command that writes it.

    Args:
        path (str): The checkpoint (``model.teacher_ckpt``).
        teacher_config (str, optional): The teacher's training config (a
            data-free config's ``teacher_config``). Defaults to None (the
            message then says where to find it).
        released (str, optional): Where published weights of this teacher
            can be downloaded (a data-free config's
            ``teacher_weights_url``), named in the message. Defaults to
            None.

    Raises:
        FileNotFoundError: when the checkpoint is missing.
    """
    if osp.isfile(path):
        return
    if teacher_config:
        written = osp.join(osp.dirname(path), 'teacher.pth')
        then = ('' if osp.basename(path) == 'teacher.pth' else
                f'; then pass --cfg-options model.teacher_ckpt={written}')
        how = (f'Train its teacher first:\n'
               f'    {teacher_training_command(teacher_config, path)}\n'
               f'(it writes {written}{then}), or')
    else:
        how = ('Train its teacher first with `python tools/train.py '
               '<teacher config>` (the distillation config\'s '
               '`teacher_config`; it writes <work dir>/teacher.pth), or')
    where = (f' Published weights of this teacher: {released} (download '
             'them where there is internet access, copy the file here and '
             'pass it as model.teacher_ckpt).' if released else '')
    raise FileNotFoundError(
        f'teacher checkpoint {path!r} does not exist. {how} point '
        '`model.teacher_ckpt` at existing teacher weights (--cfg-options '
        f'model.teacher_ckpt=<file>).{where}')


def load_teacher_weights(teacher: nn.Module, path: str) -> None:
    """Load a teacher checkpoint as untrusted input (``weights_only``) and
    check that its keys match the teacher config exactly."""
    from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
    require_teacher_checkpoint(path)
    ckpt = load_untrusted_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'teacher checkpoint {path!r} holds no state dict '
                         '(expected a mapping of tensors, or one under '
                         "'state_dict')")
    state = {k[7:] if k.startswith('module.') else k: v
             for k, v in state.items()}
    expected = teacher.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [
        f'{k}: {tuple(state[k].shape)} vs {tuple(v.shape)}'
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or mismatched:
        raise ValueError(
            f'teacher checkpoint {path!r} does not match the teacher config: '
            f'{len(missing)} missing keys (e.g. {missing[:3]}), '
            f'{len(unexpected)} unexpected keys (e.g. {unexpected[:3]}), '
            f'{len(mismatched)} shape mismatches (checkpoint vs config, e.g. '
            f'{mismatched[:2]}). Check that `model.teacher` is the '
            'architecture the checkpoint was trained with.')
    check_weight_values(state, expected, path)
    teacher.load_state_dict(state)


def magnitude_limit(dtype: torch.dtype) -> float:
    """The largest magnitude a weight of ``dtype`` may hold:
    ``sqrt(finfo(dtype).max)`` (1.8e19 for float32 and bfloat16, 256 for
    float16).

    Why: BN-statistics, L2 and variance terms square what the teacher
    computes, and a value above this bound overflows to inf as soon as it
    is squared in its own dtype, so it cannot be a weight the losses can
    use. Trained weights and BatchNorm statistics lie many orders of
    magnitude below it (the digits teacher's largest is 2.07, a running
    mean), while the top bit of a float32 exponent flipped lands above it
    (one changed byte gave 5.4e36). Smaller corruptions of the file are
    caught by its CRC-32 check (:func:`~mmdfkd.compat.checkpoint.
    check_zip_integrity`), weights that overflow only together by the
    distiller's teacher forward at build time.
    """
    return float(torch.finfo(dtype).max) ** 0.5


def check_weight_values(state: Dict[str, torch.Tensor],
                        expected: Dict[str, torch.Tensor],
                        path: str) -> None:
    """Raise when a floating tensor of ``state`` holds a NaN / inf or a
    value beyond :func:`magnitude_limit` of the dtype it is loaded into
    (``expected``, the network's own state dict).

    Raises:
        ValueError: naming the file, the tensor, the value and its index.
    """
    for key, value in state.items():
        if not value.is_floating_point():
            continue  # e.g. BatchNorm's num_batches_tracked
        target = expected[key].dtype if expected[key].is_floating_point() \
            else value.dtype
        flat = value.detach().reshape(-1).float()
        bad = ~torch.isfinite(flat)
        limit = magnitude_limit(target)
        kind = 'a non-finite value'
        if not bad.any():
            bad = flat.abs() > limit
            kind = f'a value beyond {limit:.3g} (sqrt of the {target} max)'
        if bad.any():
            index = int(bad.nonzero()[0])
            raise ValueError(
                f'teacher checkpoint {path!r}: tensor {key!r} holds {kind}: '
                f'{float(flat[index]):.4g} at flat index {index} '
                f'({int(bad.sum())} such values). The file is corrupt or '
                'was saved from a diverged run: retrain the teacher or '
                'restore an intact copy of its weights.')


def num_classes(model: nn.Module) -> Optional[int]:
    """Class count of an mmpretrain classifier or mmseg segmentor."""
    for head_name in ('head', 'decode_head'):
        head = getattr(model, head_name, None)
        if head is not None and hasattr(head, 'num_classes'):
            return int(head.num_classes)
    return None


def has_batchnorm(model: nn.Module) -> bool:
    """Whether ``model`` has a BatchNorm layer with running statistics."""
    return any(
        isinstance(m, _BatchNorm) and m.running_mean is not None
        for m in model.modules())
