"""Fixes that let the pinned OpenMMLab stack run on current PyTorch.

One fix per module, each idempotent and inert where the native piece works:

* :mod:`.torchvision_ops`: CPU ``torchvision::nms``/``qnms`` when
  torchvision's native library cannot load (must run before torchvision is
  imported, hence first).
* :mod:`.mmcv_ops`: a lazy ``mmcv.ops`` stand-in for mmcv-lite.
* :mod:`.checkpoint`: an allow-list for ``torch.load(weights_only=True)``.
* :mod:`.distributed`: CPU/gloo DDP through mmengine.
"""
from . import checkpoint, distributed, mmcv_ops, torchvision_ops
from .checkpoint import (CorruptCheckpointError, UntrustedCheckpointError,
                         load_untrusted_checkpoint)
from .distributed import destroy_process_group_cleanly

__all__ = ['CorruptCheckpointError', 'UntrustedCheckpointError',
           'apply_compat',
           'destroy_process_group_cleanly', 'load_untrusted_checkpoint']


def apply_compat() -> None:
    """Apply every fix; each one is inert where the native piece works."""
    torchvision_ops.apply()
    mmcv_ops.apply()
    checkpoint.apply()
    distributed.apply()
