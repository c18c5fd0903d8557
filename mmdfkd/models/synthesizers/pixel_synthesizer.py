from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from mmdfkd.registry import MODELS
from .precision import (check_autocast_dtype, float_losses,
                        synthesis_autocast)

#: ``loss_fn(images) -> {name: loss}``: the distiller's generator-loss terms
#: on a batch (teacher, and the student if a term needs it, run inside).
LossFn = Callable[[torch.Tensor], Dict[str, torch.Tensor]]


@MODELS.register_module()
class PixelSynthesizer(BaseModule):
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
        pixel_range (tuple[float, float]): Pixel values that −1 and 1 map
            to. Defaults to (0, 255).
        autocast_dtype (str, optional): ``'bfloat16'`` runs the inner
            loop's forward passes under autocast (losses and updates stay
            float32). Defaults to None (full precision).
        init_cfg (dict, optional): Defaults to None.
    """
    online = False

    def __init__(self,
                 image_shape: Sequence[int],
                 iterations: int = 2000,
                 lr: float = 0.1,
                 betas: Tuple[float, float] = (0.5, 0.99),
                 views: Optional[dict] = None,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 autocast_dtype: Optional[str] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        if len(image_shape) != 3 or iterations < 1:
            raise ValueError('image_shape is (C, H, W) and iterations >= 1, '
                             f'got {image_shape}, {iterations}')
        self.image_shape = tuple(int(v) for v in image_shape)
        self.iterations = iterations
        self.lr = lr
        self.betas = tuple(betas)
        self.views = MODELS.build(views) if views else None
        self.pixel_range = tuple(float(v) for v in pixel_range)
        self.autocast_dtype = check_autocast_dtype(autocast_dtype)

    def optim_targets(self) -> dict:
        return {}

    def ddp_targets(self) -> list:
        return []

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        low, high = self.pixel_range
        return low + (x + 1) * (0.5 * (high - low))

    def synthesize(self, loss_fn: LossFn, latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Optimise a batch of ``len(latents)`` images; return the best
        iterate (pixel space, detached) and its loss terms."""
        x = torch.randn(
            len(latents), *self.image_shape, device=latents.device) * 0.5
        x.requires_grad_(True)
        optimizer = torch.optim.Adam([x], lr=self.lr, betas=self.betas)
        # The best iterate is tracked on the device: no host sync per step.
        best_total = torch.full((), float('inf'), device=x.device)
        best_x = x.detach().clone()
        best_losses: Dict[str, torch.Tensor] = {}
        for _ in range(self.iterations):
            with synthesis_autocast(x.device, self.autocast_dtype):
                images = self.to_pixels(x)
                if self.views is not None:
                    images = self.views(images)
                losses = float_losses(loss_fn(images))
            total = sum(losses.values())
            better = total.detach() < best_total  # NaN never qualifies
            best_total = torch.where(better, total.detach(), best_total)
            best_x = torch.where(better, x.detach(), best_x)
            best_losses = {
                k: torch.where(better, v.detach(),
                               best_losses.get(k, v.detach()))
                for k, v in losses.items()
            }
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            with torch.no_grad():
                x.clamp_(-1, 1)
        if not torch.isfinite(best_total):
            raise FloatingPointError(
                'every synthesis step gave a non-finite loss; lower the '
                'learning rate or the loss weights')
        return self.to_pixels(best_x), best_losses
