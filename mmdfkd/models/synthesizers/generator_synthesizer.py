from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule

from mmdfkd.registry import MODELS


@MODELS.register_module()
class GeneratorSynthesizer(BaseModule):
    """Online synthesis: a fresh batch G(z) for every step (DAFL, DFAD, ZSKT,
    DFQ, DDAD).

    Synthesized batches live in the same pixel space as real images; the
    distiller normalises them for each network with that network's own data
    preprocessor. By default the generator's output in [-1, 1] is mapped
    linearly to ``pixel_range``. With ``normalized_output`` the output is
    read as an already normalised image, ``pixel = mean + std · G(z)``, so
    that a network normalising with the same mean and std sees G(z) itself:
    what the DAFL and DFAD authors' generators feed their teachers (a
    tanh + BatchNorm output, zero mean and unit variance per channel).

    With ``views``, every batch synthesized in training mode is a random
    view of G(z) (differentiable, new parameters per image): generator and
    student steps then play on the same augmented distribution, which
    widens what the student sees without changing the method's losses.

    Args:
        generator (dict): Config of the generator network.
        pixel_range (tuple[float, float]): Pixel values that −1 and 1 map
            to; also the range image grids display. Defaults to (0, 255).
        normalized_output (dict, optional): ``dict(mean=[...], std=[...])``
            per channel (pixel units, usually the teacher's data
            preprocessor's): the generator's output is a normalised image.
            Defaults to None (map [-1, 1] to ``pixel_range``).
        views (dict, optional): A ``DifferentiableViews`` config (e.g. a
            random shift, ``[dict(type='RandomCrop', size=(8, 8),
            padding=1)]``) applied in pixel space to every batch in
            training mode; in eval mode the batch is G(z) itself. Defaults
            to None.
        init_cfg (dict, optional): Defaults to None.
    """

    online = True

    def __init__(self,
                 generator: dict,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 normalized_output: Optional[dict] = None,
                 views: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.generator = MODELS.build(generator)
        self.pixel_range = tuple(float(v) for v in pixel_range)
        self.normalized_output = normalized_output is not None
        if normalized_output is not None:
            mean, std = self._check_normalization(normalized_output)
            self.register_buffer('out_mean', mean, persistent=False)
            self.register_buffer('out_std', std, persistent=False)
        self.views = MODELS.build(views) if views is not None else None

    @staticmethod
    def _check_normalization(cfg: dict):
        if set(cfg) != {'mean', 'std'}:
            raise ValueError(
                'normalized_output takes dict(mean=[...], std=[...]) '
                f'(per channel, pixel units), got keys {sorted(cfg)}')
        mean, std = (torch.as_tensor(cfg[k], dtype=torch.float32).flatten()
                     for k in ('mean', 'std'))
        if mean.numel() != std.numel() or not bool((std > 0).all()):
            raise ValueError(
                'normalized_output needs as many means as stds, every std '
                f'positive, got mean={cfg["mean"]}, std={cfg["std"]}')
        return mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)

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
        out = self.generator(latents)
        if self.normalized_output:
            if self.out_mean.shape[1] not in (1, out.shape[1]):
                raise ValueError(
                    f'normalized_output has {self.out_mean.shape[1]} '
                    f'channels but the generator makes {out.shape[1]}; '
                    'give one mean and std per image channel')
            images = self.out_mean + self.out_std * out
        else:
            low, high = self.pixel_range
            images = low + (out + 1) * (0.5 * (high - low))
        if self.views is not None and self.training:
            images = self.views(images)
        return images
