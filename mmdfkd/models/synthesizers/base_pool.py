"""What every pool of synthesized images shares: the image shape and
label presence fixed by the first batch, and the checks a batch passes
before it is kept (:class:`SyntheticPool` in memory, :class:`DiskPool` on
disk)."""
from typing import Optional, Tuple

import torch
from torch import nn

__all__ = ['BasePool']


class BasePool(nn.Module):
    """Base of the pools: subclasses set ``_image_shape`` and
    ``_has_labels`` at their first ``add`` and reset them in ``clear``."""
    #: Whether every rank holds the union of all ranks' images.
    spans_ranks = False

    _image_shape: Optional[Tuple[int, int, int]] = None
    _has_labels: Optional[bool] = None

    def __bool__(self) -> bool:
        # A module is always truthy; use len() to test for emptiness.
        return True

    @property
    def image_shape(self) -> Optional[Tuple[int, int, int]]:
        """(C, H, W) of the images, None before the first ``add``."""
        return self._image_shape

    @property
    def has_labels(self) -> Optional[bool]:
        """Whether the pool keeps labels; None before the first add."""
        return self._has_labels

    def _check_batch(
        self, images: torch.Tensor, labels: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``images`` (N×C×H×W, real, finite) and ``labels`` (integer
        (N,) or None) detached, or a ValueError naming what does not fit
        the pool."""
        if not isinstance(images, torch.Tensor) or images.dim() != 4:
            raise ValueError(
                'images must be an N×C×H×W tensor, got '
                + (f'shape {tuple(images.shape)}' if isinstance(
                    images, torch.Tensor) else type(images).__name__))
        if images.dtype == torch.bool or images.is_complex():
            raise ValueError(
                f'images must be real numbers, got {images.dtype}')
        shape = tuple(int(s) for s in images.shape[1:])
        if self._image_shape is not None and shape != self._image_shape:
            raise ValueError(
                f'image shape mismatch: the pool holds C×H×W '
                f'{self._image_shape}, the batch is {shape}')
        has_labels = labels is not None
        if self._has_labels is not None and has_labels != self._has_labels:
            if self._has_labels:
                raise ValueError('label mismatch: the pool holds labels, '
                                 'this batch has none')
            raise ValueError('label mismatch: the pool holds no labels, '
                             'this batch has some')
        if has_labels:
            if not isinstance(labels, torch.Tensor):
                raise ValueError('labels must be a tensor, got '
                                 f'{type(labels).__name__}')
            if labels.is_floating_point() or labels.is_complex() \
                    or labels.dtype == torch.bool:
                raise ValueError(
                    f'labels must be integers, got {labels.dtype}')
            if labels.dim() != 1 or labels.shape[0] != images.shape[0]:
                raise ValueError(
                    f'labels must have shape ({images.shape[0]},) to match '
                    f'the images, got {tuple(labels.shape)}')
            labels = labels.detach()
        images = images.detach()
        # one host sync per add (adds are rare: once per round)
        if images.is_floating_point() and images.numel() and not bool(
                torch.isfinite(images).all()):
            raise ValueError('images hold NaN or infinite values; '
                             'refusing to add them to the pool')
        return images, labels
