from typing import List, Optional

from mmcv.cnn import build_norm_layer
from torch import nn

from mmdfkd.registry import MODELS


@MODELS.register_module()
class ConvGenerator(nn.Module):
    """DAFL/DFAD-style generator: a linear projection of the latent to a
    (img_size/4)² map, two ×2 nearest upsamplings with conv-BN-LeakyReLU,
    and a conv to the image channels.

    Args:
        latent_dim (int): Size of z. Defaults to 100.
        img_size (int | tuple[int, int]): Output height and width, each a
            multiple of 4. Defaults to 32.
        out_channels (int): Image channels. Defaults to 3.
        base_channels (int): Width of the first map. Defaults to 128.
        out_act (str): The output layer: ``'tanh'`` (bounded to
            [-1, 1]); ``'bn'`` (BatchNorm without affine); ``'tanh_bn'``
            (tanh, then BatchNorm without affine: the output layer of the
            DAFL and DFAD authors' generators, whose output is fed to the
            teacher as a normalised image: zero mean and unit variance per
            channel over the batch; pair it with the synthesizer's
            ``normalized_output``). Defaults to ``'tanh'``.
        norm_cfg (dict, optional): Normalisation of the hidden maps (None:
            none, e.g. to make per-process and global batches equivalent
            without SyncBN). Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 latent_dim: int = 100,
                 img_size=32,
                 out_channels: int = 3,
                 base_channels: int = 128,
                 out_act: str = 'tanh',
                 norm_cfg: Optional[dict] = dict(type='BN')) -> None:
        super().__init__()
        h, w = (img_size, img_size) if isinstance(img_size, int) else img_size
        if h % 4 or w % 4:
            raise ValueError(f'img_size must be a multiple of 4, got {h}×{w}')
        if out_act not in ('tanh', 'bn', 'tanh_bn'):
            raise ValueError("out_act must be 'tanh', 'bn' or 'tanh_bn', "
                             f'got {out_act!r}')
        self.latent_dim = latent_dim
        self.init_size = (h // 4, w // 4)
        c = base_channels

        def norm(channels: int) -> nn.Module:
            if norm_cfg is None:
                return nn.Identity()
            return build_norm_layer(norm_cfg, channels)[1]

        bias = norm_cfg is None
        self.project = nn.Linear(latent_dim, c * self.init_size[0] *
                                 self.init_size[1])
        self.body = nn.Sequential(
            norm(c),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c, c, 3, padding=1, bias=bias),
            norm(c),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c, c // 2, 3, padding=1, bias=bias),
            norm(c // 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c // 2, out_channels, 3, padding=1),
            *self._output_layers(out_act, out_channels),
        )

    @staticmethod
    def _output_layers(out_act: str, channels: int) -> List[nn.Module]:
        layers: List[nn.Module] = []
        if out_act in ('tanh', 'tanh_bn'):
            layers.append(nn.Tanh())
        if out_act in ('bn', 'tanh_bn'):
            layers.append(nn.BatchNorm2d(channels, affine=False))
        return layers

    def forward(self, z):
        x = self.project(z).view(z.shape[0], -1, *self.init_size)
        return self.body(x)
