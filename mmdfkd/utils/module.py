"""Helpers for modules: unwrapping DDP-style wrappers, freezing, eval mode."""
import contextlib

from torch import nn


def unwrap_model(module: nn.Module) -> nn.Module:
    """Return the module inside any (nested) DDP-style wrapper.

    Works with and without wrappers, so no code path assumes ``.module``.
    """
    while hasattr(module, 'module') and isinstance(module.module, nn.Module):
        module = module.module
    return module


@contextlib.contextmanager
def frozen(module: nn.Module):
    """Parameters of ``module`` get no gradient inside the block."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@contextlib.contextmanager
def eval_mode(module: nn.Module):
    """``module`` in eval mode inside the block (BatchNorm uses and keeps
    its running statistics); every submodule's train/eval flag is restored
    after."""
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, flag in flags:
            m.training = flag
