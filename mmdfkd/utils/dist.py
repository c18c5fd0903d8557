"""Differentiable reductions over the global batch.

Under DDP each rank holds a slice of the batch; BN statistics and the class
balance must be computed on the whole batch, so the sums are all-reduced
with autograd support (the gradient of a sum is all-reduced too, which,
after DDP averages the parameter gradients, gives the one-process gradient).
"""
import contextlib
from typing import Iterator

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1)


class _GlobalSum(torch.autograd.Function):
    """All-reduce (sum) whose backward all-reduces the gradient."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        out = tensor.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad


def global_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all ranks, differentiably; identity on one rank."""
    if not is_distributed():
        return tensor
    return _GlobalSum.apply(tensor)


def all_ranks_true(flag: bool, device: torch.device) -> bool:
    """Whether ``flag`` holds on every rank (keeps ranks in step)."""
    if not is_distributed():
        return flag
    t = torch.tensor([0.0 if flag else 1.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.item() == 0


@contextlib.contextmanager
def rank_distinct_rng(device: torch.device) -> Iterator[None]:
    """Inside, torch's generators (CPU, and ``device`` if CUDA) give every
    rank other numbers; outside, nothing changed but one draw.

    MMEngine seeds every rank alike (``randomness.diff_rank_seed=False``),
    so random initialisations (e.g. DeepInversion's pixels) would repeat
    on every rank. The seed is drawn from the shared generator (the same
    on every rank, reproducible with the RNG state) plus the rank. On one
    process this is a no-op.
    """
    if not is_distributed():
        yield
        return
    seed = int(torch.randint(2**62, ()))
    devices = [device] if device.type == 'cuda' else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed + dist.get_rank())
        yield
