from torch import nn


def unwrap_model(module: nn.Module) -> nn.Module:
    """Return the module inside any (nested) DDP-style wrapper.

    Works with and without wrappers, so no code path assumes ``.module``.
    """
    while hasattr(module, 'module') and isinstance(module.module, nn.Module):
        module = module.module
    return module
