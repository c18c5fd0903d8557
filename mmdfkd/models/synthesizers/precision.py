"""Mixed precision inside a pool synthesizer's inner loop.

The runner's optimiser wrappers (``--amp``) cover the generator and student
steps; pool synthesizers run their own inner loop and autocast it here:
the forward passes (generator, views, teacher, student, loss terms) in
bfloat16, the losses summed and back-propagated in float32. bfloat16 has
float32's range, so no loss scaling is needed (float16 would need it).
"""
import contextlib
from typing import Dict, Optional

import torch

SUPPORTED = ('bfloat16', )


def check_autocast_dtype(dtype: Optional[str]) -> Optional[str]:
    """``dtype`` if supported (None: full precision), else a clear error."""
    if dtype is not None and dtype not in SUPPORTED:
        raise ValueError(
            f'autocast_dtype must be None or one of {SUPPORTED}, got '
            f'{dtype!r} (float16 would need loss scaling in the inner loop)')
    return dtype


def synthesis_autocast(device: torch.device, dtype: Optional[str]):
    """Autocast on ``device`` to ``dtype``; a no-op context for None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=getattr(torch, dtype))


def float_losses(losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The loss terms in float32 (autocast may leave some in bfloat16)."""
    return {k: v.float() for k, v in losses.items()}
