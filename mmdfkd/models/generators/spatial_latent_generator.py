from typing import Tuple, Union

import torch
from torch import nn

from mmdfkd.registry import MODELS
from .sizes import upsampled_size


@MODELS.register_module()
class SpatialLatentGenerator(nn.Module):
    """Fast DFKD's ImageNet generator (the authors' ``DeepGenerator``,
    Fast-Datafree ``datafree/models/generator.py``): fully convolutional
    on a latent *map*. The latent of each image is a ``latent_channels ×
    (H / 2^u) × (W / 2^u)`` map (14×14 at 224×224 with u = 4), passed to
    :meth:`forward` flattened as one vector of :attr:`latent_dim` values, so
    that the distiller's latent draws and a synthesizer's trainable latents
    work unchanged. A 3×3 conv-BN-LeakyReLU to ``2 × width`` channels, then
    ``num_upsamples`` nearest ×2 upsamplings each followed by a 3×3
    conv-BN-LeakyReLU (``2 × width`` after the first, ``width`` after the
    others), and a 3×3 conv to the image with a sigmoid. The sigmoid's
    [0, 1] is returned as [-1, 1] (``2σ − 1``), the range the synthesizers
    map to pixels, so pixel = σ × 255 as in the authors' code.

    Args:
        latent_channels (int): Channels of the latent map. Defaults to 256
            (the authors' ``nz``).
        img_size (int | tuple[int, int]): Output height and width, each a
            multiple of ``2 ** num_upsamples``. Defaults to 224.
        out_channels (int): Image channels. Defaults to 3.
        width (int): The authors' ``ngf``. Defaults to 64.
        num_upsamples (int): Doublings from the latent map to the image.
            Defaults to 4.
    """

    def __init__(self,
                 latent_channels: int = 256,
                 img_size: Union[int, Tuple[int, int]] = 224,
                 out_channels: int = 3,
                 width: int = 64,
                 num_upsamples: int = 4) -> None:
        super().__init__()
        (h, w), step = upsampled_size(img_size, num_upsamples)
        self.latent_channels = latent_channels
        self.img_size = (h, w)
        self.latent_size = (h // step, w // step)
        self.latent_dim = latent_channels * self.latent_size[0] * \
            self.latent_size[1]

        def block(cin: int, cout: int) -> list:
            return [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.LeakyReLU(0.2, inplace=True)
            ]

        layers = block(latent_channels, 2 * width)
        c = 2 * width
        for i in range(num_upsamples):
            out = 2 * width if i == 0 else width
            layers += [nn.Upsample(scale_factor=2)] + block(c, out)
            c = out
        layers += [nn.Conv2d(c, out_channels, 3, padding=1), nn.Sigmoid()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] from latents of shape ``N × latent_dim``."""
        z = z.view(z.shape[0], self.latent_channels, *self.latent_size)
        return 2 * self.body(z) - 1
