"""Wide residual networks for 32x32 images (Zagoruyko & Komodakis, BMVC'16).

WRN-d-k: a 3x3 stem convolution to 16 channels, then three groups of
``n = (d - 4) / 6`` pre-activation basic blocks with ``16k``, ``32k`` and
``64k`` channels (strides 1, 2, 2: 32x32 -> 32x32 -> 16x16 -> 8x8), then a
final BatchNorm + ReLU. Written from the paper's description.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmdfkd.registry import MODELS


def _conv3x3(in_channels: int, out_channels: int, stride: int = 1):
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size=3,
        stride=stride,
        padding=1,
        bias=False)


class WideBasicBlock(nn.Module):
    """A pre-activation basic block: ``BN-ReLU-conv3x3(stride)-BN-ReLU-
    [dropout]-conv3x3`` plus a shortcut.

    When the block changes the channel count or the resolution, the shortcut
    is a strided 1x1 convolution of the *pre-activated* input (the input
    passes through the block's first BN-ReLU before both branches);
    otherwise it is the identity on the raw input.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution (and the shortcut).
        dropout (float): Dropout probability between the two convolutions.
        norm_cfg (dict): Normalization layer config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dropout: float = 0.0,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = _conv3x3(out_channels, out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.shortcut: Optional[nn.Module] = None
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size=1,
                stride=stride,
                bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BN returns a new tensor: the in-place ReLU never touches ``x``.
        pre = self.relu(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(pre)
        out = self.conv1(pre)
        out = self.relu(self.bn2(out))
        out = self.dropout(out)
        out = self.conv2(out)
        return out + identity


@MODELS.register_module()
class WideResNet(BaseBackbone):
    """Wide ResNet (CIFAR form), WRN-``depth``-``widen_factor``.

    Modules: ``stem`` (3x3 conv, 16 channels), ``layer1``..``layer3`` (the
    three groups of :class:`WideBasicBlock`), ``norm`` and ``relu`` (the
    final BN-ReLU). The output of group ``i`` is returned for ``i`` in
    :attr:`out_indices`; the last group's output is returned *after* the
    final BN-ReLU (the activated features a classifier head pools), earlier
    groups' outputs raw (pre-activation blocks activate their input
    themselves). Recording ``backbone.layer3`` in a config gives the raw
    last-group output; ``backbone.relu`` gives the activated one.

    Args:
        depth (int): Total depth ``6n + 4`` (e.g. 16, 28, 40).
            Defaults to 28.
        widen_factor (int): Width multiplier ``k``. Defaults to 1.
        in_channels (int): Channels of the input image. Defaults to 3.
        dropout (float): Dropout probability inside every block.
            Defaults to 0.0.
        out_indices (Sequence[int] | int): Groups (0, 1, 2) whose outputs
            are returned, negative indices counting from the last group.
            Defaults to ``(2,)``.
        norm_cfg (dict): Normalization layer config.
            Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to Kaiming (fan-out) convolutions and unit-weight,
            zero-bias norm layers.
    """

    def __init__(self,
                 depth: int = 28,
                 widen_factor: int = 1,
                 in_channels: int = 3,
                 dropout: float = 0.0,
                 out_indices: Union[Sequence[int], int] = (2, ),
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                          nonlinearity='relu'),
                     dict(type='Constant', val=1,
                          layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg=init_cfg)
        depth = int(depth)
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError(
                f'WideResNet depth must be 6n + 4 with n >= 1 (10, 16, 22, '
                f'28, 40, ...), got {depth}')
        if int(widen_factor) < 1:
            raise ValueError(
                f'widen_factor must be >= 1, got {widen_factor}')
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'dropout must be in [0, 1), got {dropout}')
        num_groups = 3
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        normalized = []
        for index in out_indices:
            if not -num_groups <= index < num_groups:
                raise IndexError(f'out_index {index} is out of range for '
                                 f'{num_groups} groups')
            normalized.append(index % num_groups)
        self.out_indices = tuple(sorted(set(normalized)))

        self.depth = depth
        self.widen_factor = int(widen_factor)
        self.num_blocks = (depth - 4) // 6
        self.in_channels = in_channels
        self.dropout = dropout
        self.norm_cfg = norm_cfg
        k = self.widen_factor
        self.widths = (16 * k, 32 * k, 64 * k)
        self.strides = (1, 2, 2)

        self.stem = _conv3x3(in_channels, 16)
        channels = 16
        self.layer_names = []
        for i, (width, stride) in enumerate(zip(self.widths, self.strides)):
            blocks = []
            for j in range(self.num_blocks):
                blocks.append(
                    WideBasicBlock(
                        channels,
                        width,
                        stride=stride if j == 0 else 1,
                        dropout=dropout,
                        norm_cfg=norm_cfg))
                channels = width
            name = f'layer{i + 1}'
            self.add_module(name, nn.Sequential(*blocks))
            self.layer_names.append(name)
        self.norm = build_norm_layer(norm_cfg, channels)[1]
        # not in place: a recorder on ``backbone.norm`` keeps its output
        self.relu = nn.ReLU(inplace=False)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the outputs of the groups in :attr:`out_indices`."""
        x = self.stem(x)
        outs = []
        last = len(self.layer_names) - 1
        for i, name in enumerate(self.layer_names):
            x = getattr(self, name)(x)
            if i == last:
                x = self.relu(self.norm(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
