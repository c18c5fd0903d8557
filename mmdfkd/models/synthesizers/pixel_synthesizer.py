from typing import Dict, Optional, Sequence, Tuple

import torch

from mmdfkd.registry import MODELS
from .base import SynthesisEnv
from .best_iterate import BestIterate
from .pool_synthesizer import LossFn, PoolSynthesizer
from .precision import float_losses, synthesis_autocast


@MODELS.register_module()
class PixelSynthesizer(PoolSynthesizer):
    """DeepInversion / "The Knowledge Within": optimise the pixels of a batch
    directly, then keep the lowest-loss iterate for the pool.

    The optimised variable lives in [-1, 1] (mapped linearly to
    ``pixel_range``), starts from N(0, 0.5²) and is clipped to the valid
    range after every step. Each step sees the batch through ``views``
    (random jitter and flips), as in DeepInversion.

    Args:
        image_shape (Sequence[int]): C, H, W of the synthesized images.
        iterations (int): Optimisation steps per batch. Defaults to 2000.
        lr (float): Adam learning rate. Defaults to 0.1.
        betas (tuple[float, float]): Adam betas. Defaults to (0.5, 0.99).
        views (dict, optional): ``DifferentiableViews`` config applied at
            each step. Defaults to None (none).
        **kwargs: :class:`PoolSynthesizer` arguments (``pool``,
            ``student_views``, ``student_batch_size``, ``pixel_range``,
            ``autocast_dtype``, ``init_cfg``).
    """

    def __init__(self,
                 image_shape: Sequence[int],
                 iterations: int = 2000,
                 lr: float = 0.1,
                 betas: Tuple[float, float] = (0.5, 0.99),
                 views: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if len(image_shape) != 3 or iterations < 1:
            raise ValueError('image_shape is (C, H, W) and iterations >= 1, '
                             f'got {image_shape}, {iterations}')
        self.image_shape = tuple(int(v) for v in image_shape)
        self.iterations = iterations
        self.lr = lr
        self.betas = tuple(betas)
        self.views = MODELS.build(views) if views else None

    def probe(self) -> torch.Tensor:
        low, high = self.pixel_range
        return torch.full((2, *self.image_shape), (low + high) / 2)

    def synthesize(self, env: SynthesisEnv, loss_fn: LossFn,
                   latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Optimise a batch of ``len(latents)`` images; return the best
        iterate (pixel space, detached) and its loss terms."""
        x = torch.randn(
            len(latents), *self.image_shape, device=latents.device) * 0.5
        x.requires_grad_(True)
        optimizer = torch.optim.Adam([x], lr=self.lr, betas=self.betas)
        best = BestIterate(x.device)
        for _ in range(self.iterations):
            with synthesis_autocast(x.device, self.autocast_dtype):
                images = self.to_pixels(x)
                if self.views is not None:
                    images = self.views(images)
                losses = float_losses(loss_fn(images))
            total = sum(losses.values())
            best.update(total, losses, x=x)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            with torch.no_grad():
                x.clamp_(-1, 1)
        best.check()
        return self.to_pixels(best.values['x']), best.losses
