import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import pack_state, unpack_state
from .base import SynthesisEnv
from .best_iterate import BestIterate
from .pool_synthesizer import LossFn, PoolSynthesizer
from .precision import float_losses, synthesis_autocast


@MODELS.register_module()
class MetaSynthesizer(PoolSynthesizer):
    """Fast DFKD (Fang et al., AAAI'22): a meta-learned generator that a few
    steps adapt to each new batch.

    Every round clones the meta-generator, adapts the clone and fresh
    trainable latents for ``inner_steps`` Adam steps on the generator-loss
    terms, keeps the lowest-loss batch, and moves the meta-generator by a
    first-order meta-update: ``'fomaml'`` applies the sum of the gradients
    of all inner steps (each taken at the clone's weights before that
    step's update, as the authors' code does), ``'reptile'`` moves towards
    the adapted weights. The meta-optimiser (Adam) is the synthesizer's own;
    its state travels in checkpoints. With ``reset_layers``, those layers of
    the meta-generator are re-initialised before every ``reset_interval``-th
    round (the round index counts every round of the run, warm-up
    included), so that it does not settle on a few modes.

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
        reset_layers (Sequence[str]): Submodule paths of the generator
            re-initialised every ``reset_interval`` rounds (every module
            with ``reset_parameters`` inside them), e.g. ``('project',)``.
            Defaults to () (none).
        reset_interval (int): Rounds between resets. Defaults to 20.
        **kwargs: :class:`PoolSynthesizer` arguments (``pool``,
            ``student_views``, ``student_batch_size``, ``pixel_range``,
            ``autocast_dtype``, ``init_cfg``).
    """

    def __init__(self,
                 generator: dict,
                 inner_steps: int = 5,
                 lr_g: float = 5e-3,
                 lr_z: float = 0.015,
                 meta_lr: Optional[float] = None,
                 betas: Tuple[float, float] = (0.5, 0.999),
                 meta: str = 'fomaml',
                 views: Optional[dict] = None,
                 reset_layers: Sequence[str] = (),
                 reset_interval: int = 20,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if meta not in ('fomaml', 'reptile'):
            raise ValueError(
                f"meta must be 'fomaml' or 'reptile', got {meta!r}")
        if inner_steps < 1:
            raise ValueError(f'inner_steps must be >= 1, got {inner_steps}')
        if reset_layers and reset_interval < 1:
            raise ValueError(
                f'reset_interval must be >= 1, got {reset_interval}')
        self.generator = MODELS.build(generator)
        self.inner_steps = inner_steps
        self.lr_g = lr_g
        self.lr_z = lr_z
        self.betas = tuple(betas)
        self.meta = meta
        self.views = MODELS.build(views) if views else None
        self.reset_layers = tuple(reset_layers)
        self.reset_interval = int(reset_interval)
        for path in self.reset_layers:
            self.generator.get_submodule(path)  # a typo fails at build
        self.meta_lr = lr_g * inner_steps if meta_lr is None else meta_lr
        self._meta_optimizer = torch.optim.Adam(
            self.generator.parameters(), lr=self.meta_lr, betas=self.betas)

    @property
    def iterations(self) -> int:
        """Inner steps per round (``inner_steps``)."""
        return self.inner_steps

    @iterations.setter
    def iterations(self, steps: int) -> None:
        self.inner_steps = steps

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def probe(self) -> torch.Tensor:
        return self.to_pixels(self.generator(torch.zeros(2,
                                                         self.latent_dim)))

    def _reset(self, round_index: int) -> None:
        if (not self.reset_layers or round_index == 0
                or round_index % self.reset_interval):
            return
        for path in self.reset_layers:
            for module in self.generator.get_submodule(path).modules():
                if hasattr(module, 'reset_parameters'):
                    module.reset_parameters()

    def synthesize(self, env: SynthesisEnv, loss_fn: LossFn,
                   latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Adapt a clone of the meta-generator to one batch, meta-update,
        and return the lowest-loss batch (pixel space, detached)."""
        self._reset(env.round_index)
        fast = copy.deepcopy(self.generator)
        z = latents.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam([
            dict(params=fast.parameters(), lr=self.lr_g),
            dict(params=[z], lr=self.lr_z)
        ], betas=self.betas)
        best = BestIterate(latents.device)
        meta_grads = None
        for _ in range(self.inner_steps):
            with synthesis_autocast(z.device, self.autocast_dtype):
                images = self.to_pixels(fast(z))
                losses = float_losses(loss_fn(
                    self.views(images) if self.views is not None else images))
            images = images.float()
            total = sum(losses.values())
            best.update(total, losses, images=images)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            if self.meta == 'fomaml':
                meta_grads = self._accumulate(meta_grads, fast)
            optimizer.step()
        best.check()
        self._meta_update(fast, meta_grads)
        return best.values['images'], best.losses

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
