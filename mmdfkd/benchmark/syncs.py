"""Count the host–device synchronisations a step makes.

On CUDA, PyTorch's sync debug mode (``torch.cuda.set_sync_debug_mode``)
warns at every synchronising call it knows (``item``, a blocking copy to
the host, ``nonzero``, ...); the warnings are counted. A CPU has no device
to wait for, so there the Python-level reads of a tensor's value on the
host are counted instead: the calls that would synchronise on a GPU.
"""
import contextlib
import importlib.util
import os.path as osp
import sys
import warnings
from typing import Callable, Dict, Iterator, Tuple

import torch

#: Reads of a tensor's value on the host (counted on CPU).
READS = ('__bool__', 'item', 'tolist', 'cpu', '__float__', '__int__',
         'numpy')


def _host_side() -> Tuple[str, ...]:
    """Code that reads tensors which live on the host on a GPU too:
    torch.optim's step counters, kornia's random parameters (the views
    keep them on the CPU)."""
    paths = [osp.dirname(torch.optim.__file__)]
    spec = importlib.util.find_spec('kornia')
    if spec is not None and spec.origin:
        paths.append(osp.dirname(spec.origin))
    return tuple(paths)


@contextlib.contextmanager
def count_host_reads() -> Iterator[Dict[str, int]]:
    """Count the calls of :data:`READS` on tensors, except from the
    host-side code of :func:`_host_side`; yields ``{'n': count}``."""
    counts = {'n': 0}
    host_side = _host_side()
    saved = {name: getattr(torch.Tensor, name) for name in READS}

    def wrap(fn):
        def counted(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if not caller.startswith(host_side):
                counts['n'] += 1
            return fn(self, *args, **kwargs)
        return counted

    for name, fn in saved.items():
        setattr(torch.Tensor, name, wrap(fn))
    try:
        yield counts
    finally:
        for name, fn in saved.items():
            setattr(torch.Tensor, name, fn)


@contextlib.contextmanager
def count_cuda_syncs() -> Iterator[Dict[str, int]]:
    """Count the synchronising CUDA calls PyTorch's sync debug mode
    reports; yields ``{'n': count}``, final when the block ends."""
    counts = {'n': 0}
    before = torch.cuda.get_sync_debug_mode()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            yield counts
        finally:
            torch.cuda.set_sync_debug_mode(before)
    counts['n'] = sum('synchronizing' in str(w.message) for w in caught)


def count_syncs(step: Callable[[], None], device: torch.device) -> int:
    """Run ``step`` once and return its synchronisations: CUDA syncs on a
    GPU (:func:`count_cuda_syncs`), host reads of tensor values on a CPU
    (:func:`count_host_reads`).

    Args:
        step (callable): The step; run once, after a warm-up elsewhere
            (first calls may take one-off paths). A sync is counted when
            the host calls it, so the queued work need not finish inside.
        device (torch.device): Where the step runs.
    """
    counter = count_cuda_syncs if device.type == 'cuda' else count_host_reads
    with counter() as counts:
        step()
    return counts['n']
