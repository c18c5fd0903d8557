from typing import Tuple

import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import unwrap_model
from .online import OnlineSynthesizer


@MODELS.register_module()
class GeneratorSynthesizer(OnlineSynthesizer):
    """Online synthesis with a generator network: a fresh batch G(z) for
    every step (DAFL, DFAD, ZSKT, DFQ, DDAD, RDSKD).

    The generator's output in [-1, 1] is mapped linearly to ``pixel_range``,
    so synthesized batches live in the same pixel space as real images; the
    distiller normalises them for each network as that network's own data
    preprocessor does.

    Args:
        generator (dict): Config of the generator network (it has a
            ``latent_dim``).
        pixel_range (tuple[float, float]): Pixel values that −1 and 1 map
            to. Defaults to (0, 255).
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 generator: dict,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 init_cfg=None) -> None:
        super().__init__(pixel_range, init_cfg)
        self.generator = MODELS.build(generator)

    def optim_targets(self) -> dict:
        return dict(generator=self.generator)

    def ddp_targets(self) -> list:
        return ['generator']

    @property
    def latent_dim(self) -> int:
        return unwrap_model(self.generator).latent_dim

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.to_pixels(self.generator(latents))
