"""LeNet-5 for 28×28 grey digits, and its half-width student."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmdfkd.registry import MODELS


@MODELS.register_module()
class LeNet5(BaseBackbone):
    """The convolutional part of LeNet-5 (LeCun et al., 1998) as used by
    data-free distillation papers on MNIST (DAFL, DFAD, RDSKD): conv 5×5 →
    ReLU → max-pool 2, twice, then a 5×5 conv to ``widths[2]`` channels.
    By default the first convolution pads by 2, so a 28×28 image gives the
    classic 32×32 geometry (28 → 14 → 5 → 1); DAFL and DFAD instead resize
    the images to 32×32 and pad nothing (``padding=0``: 32 → 28 → 14 → 10
    → 5 → 1). Larger inputs give larger maps (pool them with a neck).
    The fully connected layers (120 → 84 → classes) are the head's:
    mmpretrain's ``StackedLinearClsHead`` with ``mid_channels=[84]``.

    LeNet-5-half, the usual student, comes in two variants: DAFL's and
    DFAD's halve every width, ``widths=(3, 8, 60)`` and a 42-unit hidden
    layer in the head (15,738 parameters); Zero-Shot KD's halves the first
    two convolutions only, ``widths=(3, 8, 120)`` with the 84-unit hidden
    layer (35,820 parameters).

    Args:
        in_channels (int): Image channels. Defaults to 1.
        widths (Sequence[int]): Output channels of the three convolutions.
            Defaults to ``(6, 16, 120)`` (LeNet-5).
        padding (int): Zero padding of the first convolution. Defaults to
            2 (28×28 inputs).
        init_cfg (dict | list[dict], optional): Defaults to None (PyTorch's
            default initialisation).
    """

    def __init__(self,
                 in_channels: int = 1,
                 widths: Sequence[int] = (6, 16, 120),
                 padding: int = 2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        widths = tuple(int(w) for w in widths)
        if len(widths) != 3 or min(widths) < 1:
            raise ValueError('LeNet5 needs three positive widths (conv1, '
                             f'conv2, conv3), got {widths}')
        if padding < 0:
            raise ValueError(f'padding must be >= 0, got {padding}')
        self.widths = widths
        self.padding = padding
        # the smallest input whose last 5×5 convolution still fits
        self.min_size = 32 - 2 * padding
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 5, padding=padding),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(widths[0], widths[1], 5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(widths[1], widths[2], 5),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> tuple:
        if min(x.shape[-2:]) < self.min_size:
            raise ValueError(
                f'LeNet5 (first padding {self.padding}) needs inputs of at '
                f'least {self.min_size}×{self.min_size}, got '
                f'{tuple(x.shape[-2:])}')
        return (self.features(x), )
