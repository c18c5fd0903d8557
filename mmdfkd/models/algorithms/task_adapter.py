"""The one place where per-image and per-pixel logits are told apart.

Every loss term works on *rows*: a (M, C) matrix of logits where a row is an
image (classification, M = N) or a pixel (segmentation, M = N*H*W). Losses
that are "batch means" are then means over rows, which is the per-pixel form
for segmentation and the per-image form for classification.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def logits_to_rows(logits: torch.Tensor,
                   size: Optional[Tuple[int, int]] = None) -> torch.Tensor:
    """Flatten N×C or N×C×H×W logits to rows of C class scores.

    Args:
        logits (Tensor): N×C (per image) or N×C×H×W (per pixel) logits.
        size (tuple[int, int], optional): Spatial size the per-pixel logits
            are bilinearly resized to first (e.g. the input size, so teacher
            and student rows correspond). Defaults to None (keep).

    Returns:
        Tensor: (M, C) logits.
    """
    if logits.dim() == 2:
        return logits
    if logits.dim() != 4:
        raise ValueError('expected N×C or N×C×H×W logits, got shape '
                         f'{tuple(logits.shape)}')
    if size is not None and tuple(logits.shape[-2:]) != tuple(size):
        logits = F.interpolate(
            logits, size=size, mode='bilinear', align_corners=False)
    return logits.permute(0, 2, 3, 1).reshape(-1, logits.shape[1])


def rows_per_sample(logits: torch.Tensor,
                    size: Optional[Tuple[int, int]] = None) -> int:
    """How many rows one sample contributes (1, or H*W for per-pixel)."""
    if logits.dim() == 2:
        return 1
    h, w = size if size is not None else logits.shape[-2:]
    return int(h) * int(w)
