"""What ``--amp`` means for single- and multi-optimiser configs."""
import torch
from mmengine.config import Config
from mmengine.logging import print_log


def _amp_wrapper_type() -> dict:
    if torch.cuda.is_available():
        return dict(type='AmpOptimWrapper', loss_scale='dynamic')
    return dict(type='mmdfkd.AutocastOptimWrapper', dtype='bfloat16')


def enable_amp(cfg: Config) -> None:
    """Switch every optimiser wrapper of ``cfg`` to mixed precision: fp16
    with dynamic loss scaling on GPUs, bf16 autocast on CPUs.

    Args:
        cfg (Config): A config with ``optim_wrapper``: one wrapper (with an
            ``optimizer``) or one per network (``constructor`` with a
            sub-config per key).
    """
    optim = cfg.optim_wrapper
    amp = _amp_wrapper_type()
    if 'optimizer' in optim:
        wrappers = [optim]
    else:
        wrappers = [v for k, v in optim.items()
                    if k != 'constructor' and isinstance(v, dict)]
    for wrapper in wrappers:
        if wrapper.get('type', 'OptimWrapper') in ('AmpOptimWrapper',
                                                   'mmdfkd.'
                                                   'AutocastOptimWrapper'):
            continue
        if wrapper.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(
                f"--amp cannot replace the custom wrapper {wrapper['type']!r};"
                ' set a mixed-precision type in the config instead')
        wrapper.update(amp)
    print_log(f"--amp: optimiser wrappers use {amp['type']}",
              logger='current')
