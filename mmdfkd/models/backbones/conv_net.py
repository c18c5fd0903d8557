"""A small plain CNN backbone for tiny images (e.g. 8x8 digits)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmdfkd.registry import MODELS


@MODELS.register_module()
class ConvNet(BaseBackbone):
    """A stack of 3x3 convolution stages.

    Stage ``i`` holds ``num_convs`` blocks of ``conv3x3 -> norm -> act``
    with ``widths[i]`` output channels; only its first convolution uses
    ``strides[i]``. With the defaults an 8x8 input gives stage outputs of
    8x8, 4x4 and 2x2.

    Args:
        in_channels (int): Channels of the input image. Defaults to 1.
        widths (Sequence[int]): Output channels of each stage; their number
            is the number of stages. Defaults to ``(32, 64, 128)``.
        strides (Sequence[int], optional): Stride of the first convolution
            of each stage, one per stage. Defaults to ``None``, meaning 1
            for the first stage and 2 for every later one.
        num_convs (int): Convolution blocks per stage. Defaults to 1.
        norm_cfg (dict, optional): Normalization layer config, e.g.
            ``dict(type='BN')``; ``None`` builds no normalization layer
            (and gives the convolutions a bias). Defaults to
            ``dict(type='BN')``.
        act_cfg (dict, optional): Activation config. Defaults to
            ``dict(type='ReLU')``.
        out_indices (Sequence[int] | int): Stages whose outputs are
            returned, negative indices counting from the last stage.
            Defaults to ``(-1,)``.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to ``None`` (the convolution modules' own
            Kaiming / constant initialization).
    """

    def __init__(self,
                 in_channels: int = 1,
                 widths: Sequence[int] = (32, 64, 128),
                 strides: Optional[Sequence[int]] = None,
                 num_convs: int = 1,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 out_indices: Union[Sequence[int], int] = (-1, ),
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        widths = tuple(int(w) for w in widths)
        if len(widths) == 0:
            raise ValueError('widths must name at least one stage')
        if strides is None:
            strides = (1, ) + (2, ) * (len(widths) - 1)
        strides = tuple(int(s) for s in strides)
        if len(strides) != len(widths):
            raise ValueError(f'strides {strides} and widths {widths} must '
                             'have the same length')
        if num_convs < 1:
            raise ValueError(f'num_convs must be >= 1, got {num_convs}')

        num_stages = len(widths)
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        normalized = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise IndexError(f'out_index {index} is out of range for '
                                 f'{num_stages} stages')
            normalized.append(index % num_stages)
        self.out_indices = tuple(normalized)

        self.in_channels = in_channels
        self.widths = widths
        self.strides = strides
        self.num_convs = num_convs
        self.norm_cfg = norm_cfg

        self.stages = nn.ModuleList()
        channels = in_channels
        for width, stride in zip(widths, strides):
            blocks = []
            for j in range(num_convs):
                blocks.append(
                    ConvModule(
                        channels,
                        width,
                        kernel_size=3,
                        stride=stride if j == 0 else 1,
                        padding=1,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        inplace=False))
                channels = width
            self.stages.append(nn.Sequential(*blocks))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the outputs of the stages in :attr:`out_indices`."""
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
