from typing import Optional

from mmcv.cnn import build_norm_layer
from torch import nn

from mmdfkd.registry import MODELS
from .sizes import upsampled_size


@MODELS.register_module()
class DCGANGenerator(nn.Module):
    """DCGAN-style generator for larger images (DFAD's segmentation
    generator makes 128×128): a linear projection of the latent to a small
    map, then ``num_upsamples`` stride-2 transposed convolutions, each
    doubling the size and halving the width, and a conv to the image.

    Args:
        latent_dim (int): Size of z. Defaults to 256.
        img_size (int | tuple[int, int]): Output height and width, each a
            multiple of ``2 ** num_upsamples``. Defaults to 128.
        out_channels (int): Image channels. Defaults to 3.
        base_channels (int): Width of the first map. Defaults to 256.
        num_upsamples (int): Doublings from the first map to the image;
            the first map is ``img_size / 2 ** num_upsamples``. Defaults to
            4 (8×8 → 128×128).
        min_channels (int): Width floor of the hidden maps. Defaults to 16.
        norm_cfg (dict, optional): Normalisation of the hidden maps (None:
            none). Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 latent_dim: int = 256,
                 img_size=128,
                 out_channels: int = 3,
                 base_channels: int = 256,
                 num_upsamples: int = 4,
                 min_channels: int = 16,
                 norm_cfg: Optional[dict] = dict(type='BN')) -> None:
        super().__init__()
        (h, w), step = upsampled_size(img_size, num_upsamples)
        self.latent_dim = latent_dim
        self.img_size = (h, w)
        self.init_size = (h // step, w // step)

        def norm(channels: int) -> nn.Module:
            if norm_cfg is None:
                return nn.Identity()
            return build_norm_layer(norm_cfg, channels)[1]

        bias = norm_cfg is None
        c = base_channels
        self.project = nn.Linear(latent_dim,
                                 c * self.init_size[0] * self.init_size[1])
        layers = [norm(c)]
        for _ in range(num_upsamples):
            out = max(c // 2, min_channels)
            layers += [
                nn.ConvTranspose2d(c, out, 4, stride=2, padding=1, bias=bias),
                norm(out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            c = out
        layers += [nn.Conv2d(c, out_channels, 3, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        x = self.project(z).view(z.shape[0], -1, *self.init_size)
        return self.body(x)
