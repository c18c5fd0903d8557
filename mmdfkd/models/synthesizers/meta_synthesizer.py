import copy
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModule

from mmdfkd.registry import MODELS
from mmdfkd.utils import pack_state, unpack_state
from .pixel_synthesizer import LossFn
from .precision import (check_autocast_dtype, float_losses,
                        synthesis_autocast)


@MODELS.register_module()
class MetaSynthesizer(BaseModule):
    """Fast DFKD (Fang et al., AAAI'22): a meta-learned generator that a few
    steps adapt to each new batch.

    Every round clones the meta-generator, adapts the clone and fresh
    trainable latents for ``inner_steps`` Adam steps on the generator-loss
    terms, keeps the lowest-loss batch, and moves the meta-generator by a
    first-order meta-update: ``'fomaml'`` applies the sum of the gradients
    of all inner steps (each taken at the clone's weights before that
    step's update, as the authors' code does), ``'reptile'`` moves towards
    the adapted weights. The meta-optimiser (Adam) is the synthesizer's own;
    its state travels in checkpoints.

    Args:
        generator (dict): Meta-generator config.
        inner_steps (int): Adaptation steps per round (2, 5 or 10 in the
            paper). Defaults to 5.
        lr_g (float): Inner learning rate of the generator. Defaults to 5e-3.
        lr_z (float): Inner learning rate of the latents. Defaults to 0.015.
        meta_lr (float, optional): Learning rate of the meta-update.
            Defaults to None: ``lr_g × inner_steps``, the published
            relation.
        betas (tuple[float, float]): Adam betas. Defaults to (0.5, 0.999).
        meta (str): ``'fomaml'`` or ``'reptile'``. Defaults to ``'fomaml'``.
        views (dict, optional): ``DifferentiableViews`` the loss terms see.
            Defaults to None.
        pixel_range (tuple[float, float]): Pixel values that the generator's
            −1 and 1 map to. Defaults to (0, 255).
        autocast_dtype (str, optional): ``'bfloat16'`` runs the inner
            loop's forward passes under autocast (losses and updates stay
            float32). Defaults to None (full precision).
        init_cfg (dict, optional): Defaults to None.
    """
    online = False

    def __init__(self,
                 generator: dict,
                 inner_steps: int = 5,
                 lr_g: float = 5e-3,
                 lr_z: float = 0.015,
                 meta_lr: Optional[float] = None,
                 betas: Tuple[float, float] = (0.5, 0.999),
                 meta: str = 'fomaml',
                 views: Optional[dict] = None,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 autocast_dtype: Optional[str] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        if meta not in ('fomaml', 'reptile'):
            raise ValueError(
                f"meta must be 'fomaml' or 'reptile', got {meta!r}")
        if inner_steps < 1:
            raise ValueError(f'inner_steps must be >= 1, got {inner_steps}')
        self.generator = MODELS.build(generator)
        self.inner_steps = inner_steps
        self.lr_g = lr_g
        self.lr_z = lr_z
        self.betas = tuple(betas)
        self.meta = meta
        self.views = MODELS.build(views) if views else None
        self.pixel_range = tuple(float(v) for v in pixel_range)
        self.autocast_dtype = check_autocast_dtype(autocast_dtype)
        self.meta_lr = lr_g * inner_steps if meta_lr is None else meta_lr
        self._meta_optimizer = torch.optim.Adam(
            self.generator.parameters(), lr=self.meta_lr, betas=self.betas)

    def optim_targets(self) -> dict:
        return {}

    def ddp_targets(self) -> list:
        return []

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        low, high = self.pixel_range
        return low + (x + 1) * (0.5 * (high - low))

    def synthesize(self, loss_fn: LossFn, latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Adapt a clone of the meta-generator to one batch, meta-update,
        and return the lowest-loss batch (pixel space, detached)."""
        fast = copy.deepcopy(self.generator)
        z = latents.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam([
            dict(params=fast.parameters(), lr=self.lr_g),
            dict(params=[z], lr=self.lr_z)
        ], betas=self.betas)
        best_total = torch.full((), float('inf'), device=latents.device)
        best_x = None
        best_losses: Dict[str, torch.Tensor] = {}
        meta_grads = None
        for _ in range(self.inner_steps):
            with synthesis_autocast(z.device, self.autocast_dtype):
                images = self.to_pixels(fast(z))
                losses = float_losses(loss_fn(
                    self.views(images) if self.views is not None else images))
            images = images.float()
            total = sum(losses.values())
            better = total.detach() < best_total  # NaN never qualifies
            best_total = torch.where(better, total.detach(), best_total)
            best_x = images.detach() if best_x is None else torch.where(
                better, images.detach(), best_x)
            best_losses = {
                k: torch.where(better, v.detach(), best_losses.get(k,
                                                                   v.detach()))
                for k, v in losses.items()
            }
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            if self.meta == 'fomaml':
                meta_grads = self._accumulate(meta_grads, fast)
            optimizer.step()
        if not torch.isfinite(best_total):
            raise FloatingPointError(
                'every synthesis step gave a non-finite loss; lower the '
                'learning rates or the loss weights')
        self._meta_update(fast, meta_grads)
        return best_x, best_losses

    @staticmethod
    def _accumulate(grads: Optional[List[Optional[torch.Tensor]]],
                    fast: torch.nn.Module) -> List[Optional[torch.Tensor]]:
        """``grads`` plus the gradients the clone holds now."""
        new = [None if p.grad is None else p.grad.detach().clone()
               for p in fast.parameters()]
        if grads is None:
            return new
        return [a if b is None else b if a is None else a + b
                for a, b in zip(grads, new)]

    def _meta_update(self, fast: torch.nn.Module,
                     grads: Optional[List[Optional[torch.Tensor]]]) -> None:
        """One meta-optimiser step: on ``grads`` (FOMAML), or on the
        difference of meta and adapted weights (Reptile, ``grads`` None)."""
        meta_params = list(self.generator.parameters())
        if grads is None:  # Reptile: the direction towards the adapted ones
            grads = [m.detach() - f.detach()
                     for m, f in zip(meta_params, fast.parameters())]
        for param, grad in zip(meta_params, grads):
            param.grad = grad
        self._meta_optimizer.step()
        self._meta_optimizer.zero_grad(set_to_none=True)
        # BatchNorm statistics follow the adapted generator
        for meta_buf, fast_buf in zip(self.generator.buffers(),
                                      fast.buffers()):
            meta_buf.copy_(fast_buf)

    def get_extra_state(self) -> torch.Tensor:
        return pack_state(
            {'meta_optimizer': self._meta_optimizer.state_dict()})

    def set_extra_state(self, packed: torch.Tensor) -> None:
        self._meta_optimizer.load_state_dict(
            unpack_state(packed)['meta_optimizer'])
