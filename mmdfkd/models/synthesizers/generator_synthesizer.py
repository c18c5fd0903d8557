from typing import List, Optional, Tuple, Union

import torch
from torch import nn

from mmdfkd.registry import MODELS
from mmdfkd.utils import unwrap_model
from .online import OnlineSynthesizer


@MODELS.register_module()
class GeneratorSynthesizer(OnlineSynthesizer):
    """Online synthesis with a generator network: a fresh batch G(z) for
    every step (DAFL, DFAD, ZSKT, DFQ, DDAD, RDSKD).

    Synthesized batches live in the same pixel space as real images; the
    distiller normalises them for each network as that network's own data
    preprocessor does. By default the generator's output in [-1, 1] is
    mapped linearly to ``pixel_range``. With ``normalized_output`` the
    output is read as an already normalised image, ``pixel = mean + std ·
    G(z)``, so that a network normalising with the same mean and std sees
    G(z) itself: what the DAFL and DFAD authors' generators feed their
    teachers (a tanh + BatchNorm output, zero mean and unit variance per
    channel).

    With ``views``, every batch synthesized in training mode is a random
    view of G(z) (differentiable, new parameters per image): generator and
    student steps then play on the same augmented distribution, which
    widens what the student sees without changing the method's losses. The
    synthesizer owns them: the distiller sees only the viewed batch.

    Args:
        generator (dict): Config of the generator network (it has a
            ``latent_dim``).
        pixel_range (tuple[float, float]): Pixel values that −1 and 1 map
            to; also the range image grids display. Defaults to (0, 255).
        normalized_output (dict, optional): ``dict(mean=[...], std=[...])``
            per channel (pixel units, usually the teacher's data
            preprocessor's): the generator's output is a normalised image.
            Defaults to None (map [-1, 1] to ``pixel_range``).
        views (dict | list[dict], optional): A view config
            (``RandomShift``, ``RandomIntensityScale``,
            ``DifferentiableViews``), or a list of them applied in order,
            in pixel space to every batch in training mode; in eval mode
            the batch is G(z) itself. Defaults to None.
        replay (dict, optional): Replay of earlier student batches in
            every student step, ``dict(max_size=..., batch_size=...)``
            (:class:`OnlineSynthesizer`). Defaults to None (fresh batches
            only, as in the papers).
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 generator: dict,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 normalized_output: Optional[dict] = None,
                 views: Optional[Union[dict, List[dict]]] = None,
                 replay: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(pixel_range, replay, init_cfg)
        self.generator = MODELS.build(generator)
        self.normalized_output = normalized_output is not None
        if normalized_output is not None:
            mean, std = self._check_normalization(normalized_output)
            self.register_buffer('out_mean', mean, persistent=False)
            self.register_buffer('out_std', std, persistent=False)
        if isinstance(views, (list, tuple)):
            self.views = nn.Sequential(*(MODELS.build(v) for v in views))
        else:
            self.views = MODELS.build(views) if views is not None else None

    @staticmethod
    def _check_normalization(
            cfg: dict) -> Tuple[torch.Tensor, torch.Tensor]:
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
        return dict(generator=self.generator)

    def ddp_targets(self) -> list:
        return ['generator']

    @property
    def latent_dim(self) -> int:
        return unwrap_model(self.generator).latent_dim

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        """The generator's output in pixel space: ``mean + std · x`` with
        ``normalized_output``, else [-1, 1] mapped to ``pixel_range``."""
        if not self.normalized_output:
            return super().to_pixels(x)
        if self.out_mean.shape[1] not in (1, x.shape[1]):
            raise ValueError(
                f'normalized_output has {self.out_mean.shape[1]} '
                f'channels but the generator makes {x.shape[1]}; '
                'give one mean and std per image channel')
        return self.out_mean + self.out_std * x

    def generate(self, latents: torch.Tensor) -> torch.Tensor:
        return self.to_pixels(self.generator(latents))

    def view(self, images: torch.Tensor) -> torch.Tensor:
        if self.views is not None and self.training:
            return self.views(images)
        return images
