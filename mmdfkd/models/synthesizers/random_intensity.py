"""A cheap differentiable random intensity scale of a batch of images."""
from typing import Tuple

import torch
from torch import nn

from mmdfkd.registry import MODELS


@MODELS.register_module()
class RandomIntensityScale(nn.Module):
    """Scale each image's pixel values about ``pivot`` by a factor drawn
    uniformly from ``scale``, per image: ``pivot + f · (x − pivot)``.

    With the default pivot 0 (black) it is kornia's ``RandomContrast``
    (a multiplication) in pixel units, without its clamp, one
    multiplication instead of kornia's parameter machinery. On images with
    a black background (digits, Fashion-MNIST) it dims the object and
    keeps the background. Meant for generators that saturate their output
    (black and white blobs, as DFAD's on the BN-free LeNet-5 of
    Fashion-MNIST), so that the student also meets the teacher at the
    intensities of real images; measured there: faster first rounds, no
    gain at the end (docs/fashion_mnist.md). Factors
    from torch's global generator (``torch.manual_seed`` reproduces them);
    the gradient reaching each image is scaled by its factor.

    Args:
        scale (tuple[float, float]): Range of the factors, ``0 < low <=
            high``; factors above 1 push pixels past the range (nothing is
            clamped). Defaults to (0.5, 1.0).
        pivot (float): The pixel value every factor keeps, in the images'
            pixel units. Defaults to 0.
    """

    def __init__(self,
                 scale: Tuple[float, float] = (0.5, 1.0),
                 pivot: float = 0.) -> None:
        super().__init__()
        low, high = (float(v) for v in scale)
        if not 0 < low <= high:
            raise ValueError(
                f'scale must be (low, high) with 0 < low <= high, got '
                f'{tuple(scale)}')
        self.scale = (low, high)
        self.pivot = float(pivot)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4:
            raise ValueError('RandomIntensityScale expects N×C×H×W images, '
                             f'got shape {tuple(images.shape)}')
        low, high = self.scale
        factors = low + (high - low) * torch.rand(images.shape[0])
        factors = factors.to(images.device, images.dtype).view(-1, 1, 1, 1)
        return self.pivot + factors * (images - self.pivot)

    def extra_repr(self) -> str:
        return f'scale={self.scale}, pivot={self.pivot}'
