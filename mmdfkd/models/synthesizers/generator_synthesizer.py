from typing import Tuple

import torch
from mmengine.model import BaseModule

from mmdfkd.registry import MODELS


@MODELS.register_module()
class GeneratorSynthesizer(BaseModule):
    """Online synthesis: a fresh batch G(z) for every step (DAFL, DFAD, ZSKT,
    DFQ, DDAD).

    The generator's output in [-1, 1] is mapped linearly to ``pixel_range``,
    so synthesized batches live in the same pixel space as real images; the
    distiller normalises them for each network with that network's own data
    preprocessor.

    Args:
        generator (dict): Config of the generator network.
        pixel_range (tuple[float, float]): Pixel values that −1 and 1 map
            to. Defaults to (0, 255).
        init_cfg (dict, optional): Defaults to None.
    """

    online = True

    def __init__(self,
                 generator: dict,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.generator = MODELS.build(generator)
        self.pixel_range = tuple(float(v) for v in pixel_range)

    def optim_targets(self) -> dict:
        """Networks trained by a runner-managed optimiser, by key."""
        return dict(generator=self.generator)

    def ddp_targets(self) -> list:
        """Submodule paths a distributed wrapper wraps in DDP."""
        return ['generator']

    @property
    def latent_dim(self) -> int:
        from mmdfkd.utils import unwrap_model
        return unwrap_model(self.generator).latent_dim

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """Synthesize a batch in pixel space from (N, latent_dim) latents."""
        low, high = self.pixel_range
        return low + (self.generator(latents) + 1) * (0.5 * (high - low))
