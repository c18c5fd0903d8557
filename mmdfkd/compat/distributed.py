"""CPU (gloo) DistributedDataParallel through mmengine.

Why: mmengine 0.10.7 assumes CUDA when launched with ``torchrun``.
``_init_dist_pytorch`` calls ``torch.cuda.set_device(local_rank)``, which
fails on a CPU torch, and configs usually ask for ``backend='nccl'``, which a
CPU build does not have. ``Runner.wrap_model`` (and the DDP strategy) then
wrap the model with ``device_ids=[LOCAL_RANK]``, which DDP rejects for a
module whose parameters are on the CPU.

The fix wraps, at call time and only when needed:

* ``mmengine.dist.utils._init_dist_pytorch``: when neither CUDA nor another
  accelerator mmengine knows is available, it skips the CUDA device call and
  replaces ``nccl`` by ``gloo`` (warning once); otherwise it calls the
  original unchanged;
* ``MMDistributedDataParallel.__init__`` and
  ``MMSeparateDistributedDataParallel.__init__`` (which hands ``device_ids``
  to one ``MMDistributedDataParallel`` per submodule): ``device_ids`` is
  dropped when every parameter of the wrapped module is on the CPU.

:func:`destroy_process_group_cleanly` tears the default group down at the
end of a run, so that processes do not abort at exit.
"""
import functools
import gc
import logging
from typing import Any, Callable

import torch
import torch.distributed as torch_dist
from torch import nn

__all__ = ['apply', 'destroy_process_group_cleanly', 'module_on_cpu']

_PATCHED = '_mmdfkd_compat'
_warned = False


def _warn_once(message: str) -> None:
    global _warned
    if _warned:
        return
    _warned = True
    from mmengine.logging import print_log
    print_log(message, logger='current', level=logging.WARNING)


def _other_accelerator() -> bool:
    """Whether mmengine would take its MLU/NPU/MUSA branch instead."""
    from mmengine.device import (is_mlu_available, is_musa_available,
                                 is_npu_available)
    return is_mlu_available() or is_npu_available() or is_musa_available()


def _cpu_only() -> bool:
    return not torch.cuda.is_available() and not _other_accelerator()


def _wrap_init_dist_pytorch(original: Callable) -> Callable:

    @functools.wraps(original)
    def _init_dist_pytorch(backend: str, init_backend: str = 'torch',
                           **kwargs: Any) -> None:
        if not _cpu_only() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            _warn_once('CUDA is not available: using the gloo backend '
                       "instead of the requested 'nccl' and no CUDA device.")
            backend = 'gloo'
        # What the original does on CUDA, minus torch.cuda.set_device.
        torch_dist.init_process_group(backend=backend, **kwargs)

    setattr(_init_dist_pytorch, _PATCHED, True)
    return _init_dist_pytorch


def module_on_cpu(module: nn.Module) -> bool:
    """Whether ``module`` has parameters and all of them are on the CPU.

    Args:
        module: The module about to be wrapped.

    Returns:
        bool: True when DDP would reject ``device_ids`` for it.
    """
    devices = {p.device.type for p in module.parameters()}
    return devices == {'cpu'}


def _wrap_ddp_init(original: Callable) -> Callable:

    @functools.wraps(original)
    def __init__(self: Any, module: nn.Module, *args: Any,
                 **kwargs: Any) -> None:
        if kwargs.get('device_ids') is not None and module_on_cpu(module):
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
        original(self, module, *args, **kwargs)

    setattr(__init__, _PATCHED, True)
    return __init__


def _patch_attr(owner: Any, name: str,
                wrapper: Callable[[Callable], Callable]) -> bool:
    original = getattr(owner, name)
    if getattr(original, _PATCHED, False):
        return False
    setattr(owner, name, wrapper(original))
    return True


def apply() -> bool:
    """Install the call-time patches (idempotent).

    Returns:
        bool: True if this call installed at least one patch.
    """
    if not torch_dist.is_available():
        return False
    import mmengine.dist.utils as dist_utils
    from mmengine.model import (MMDistributedDataParallel,
                                MMSeparateDistributedDataParallel)
    changed = _patch_attr(dist_utils, '_init_dist_pytorch',
                          _wrap_init_dist_pytorch)
    for cls in (MMDistributedDataParallel, MMSeparateDistributedDataParallel):
        changed = _patch_attr(cls, '__init__', _wrap_ddp_init) or changed
    return changed


def destroy_process_group_cleanly(synchronize: bool = True) -> bool:
    """Free what still holds the process group, synchronise all ranks, then
    destroy the default process group.

    Gloo's worker threads keep references into finished work; if the group
    (held by, e.g., a finished runner's DDP reducers in a reference cycle)
    is only freed during interpreter shutdown, the process aborts with
    ``terminate called without an active exception``. Collecting garbage
    first frees it while the interpreter is alive. Call this after the last
    reference to runners and DDP models is gone. The group is destroyed even
    if the barrier fails (the error is raised).

    Args:
        synchronize (bool): Wait for every rank first. Pass False when this
            rank is failing: the others may be blocked in another
            collective, and a barrier would hang the whole job instead of
            letting it end. Defaults to True.

    Returns:
        bool: True if a process group was destroyed.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return False
    gc.collect()
    try:
        if synchronize:
            torch_dist.barrier()
    finally:
        torch_dist.destroy_process_group()
        gc.collect()
    return True
