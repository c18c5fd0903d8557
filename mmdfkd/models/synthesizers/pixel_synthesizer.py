import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

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

    DeepInversion's ImageNet code (NVlabs/DeepInversion, ``setting_id=0``)
    adds a resolution schedule: the first ``low_res_iterations`` steps see
    the batch average-pooled by ``low_res_factor`` (2,000 steps at 112×112
    of a 224×224 batch), the rest at full size (1,000 steps), each
    resolution with a fresh Adam; with ``cosine_lr`` the learning rate of
    each resolution rises linearly over ``warmup_iters`` steps and then
    follows a cosine to 0 (its ``lr_cosine_policy``). Both are off by
    default.

    Args:
        image_shape (Sequence[int]): C, H, W of the synthesized images.
        iterations (int): Optimisation steps per batch. Defaults to 2000.
        lr (float): Adam learning rate. Defaults to 0.1.
        betas (tuple[float, float]): Adam betas. Defaults to (0.5, 0.99).
        views (dict, optional): Views (e.g. ``DifferentiableViews``,
            ``RandomShift``) applied at each step, at full resolution
            before a low-resolution step's pooling (a 30-pixel roll at 224
            is the reference's 15-pixel roll at 112). Defaults to None.
        low_res_iterations (int): Steps, of ``iterations``, at low
            resolution (the first ones). Defaults to 0.
        low_res_factor (int): Average-pooling factor of those steps.
            Defaults to 2.
        cosine_lr (bool): Warm-up then cosine learning rate within each
            resolution. Defaults to False (constant ``lr``).
        warmup_iters (int): Linear warm-up steps of ``cosine_lr``.
            Defaults to 100.
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
                 low_res_iterations: int = 0,
                 low_res_factor: int = 2,
                 cosine_lr: bool = False,
                 warmup_iters: int = 100,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if len(image_shape) != 3 or iterations < 1:
            raise ValueError('image_shape is (C, H, W) and iterations >= 1, '
                             f'got {image_shape}, {iterations}')
        if not 0 <= low_res_iterations <= iterations or low_res_factor < 1:
            raise ValueError(
                'low_res_iterations must be in [0, iterations] and '
                f'low_res_factor >= 1, got {low_res_iterations} (iterations '
                f'{iterations}), {low_res_factor}')
        if warmup_iters < 0:
            raise ValueError(f'warmup_iters must be >= 0, got {warmup_iters}')
        self.image_shape = tuple(int(v) for v in image_shape)
        self.iterations = iterations
        self.lr = lr
        self.betas = tuple(betas)
        self.views = MODELS.build(views) if views else None
        self.low_res_iterations = low_res_iterations
        self.low_res_factor = int(low_res_factor)
        self.cosine_lr = cosine_lr
        self.warmup_iters = warmup_iters

    def stage_lr(self, step: int, steps: int) -> float:
        """Learning rate of ``step`` (0-based) of a resolution stage of
        ``steps`` steps."""
        if not self.cosine_lr:
            return self.lr
        if step < self.warmup_iters:
            return self.lr * (step + 1) / self.warmup_iters
        done = (step - self.warmup_iters) / max(steps - self.warmup_iters, 1)
        return 0.5 * (1 + math.cos(math.pi * done)) * self.lr

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
        best = BestIterate(x.device)
        low = self.low_res_iterations
        for factor, steps in ((self.low_res_factor, low),
                              (1, self.iterations - low)):
            if not steps:
                continue
            optimizer = torch.optim.Adam([x], lr=self.lr, betas=self.betas)
            for step in range(steps):
                if self.cosine_lr:
                    for group in optimizer.param_groups:
                        group['lr'] = self.stage_lr(step, steps)
                with synthesis_autocast(x.device, self.autocast_dtype):
                    images = self.to_pixels(x)
                    if self.views is not None:
                        images = self.views(images)
                    if factor > 1:
                        images = F.avg_pool2d(images, factor)
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
