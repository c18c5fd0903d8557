"""The online family: a fresh generated batch for every step."""
from typing import Dict, Optional

import torch

from mmdfkd.models.losses import DistillContext
from mmdfkd.utils import frozen, unwrap_model
from .base import Batch, BaseSynthesizer, SynthesisEnv
from .indicators import batch_diversity


class OnlineSynthesizer(BaseSynthesizer):
    """Online synthesis: ``forward(latents)`` makes a batch, afresh for
    every step (DAFL, DFAD, ZSKT, DFQ, DDAD, RDSKD).

    Its half of a round, the ``'generator'`` phase, is one update of what
    :meth:`optim_targets` names under ``'generator'``: the batch of the
    step's latents through the generator-loss terms, with the student
    frozen (it runs as it is, train mode included, as in DFAD) and the
    teacher's gradient reaching the images; the latents are in the context
    (``ctx.latents``) for terms that read them. A student step trains on a
    fresh batch made without gradient, whose collapse indicators are
    logged.

    Subclasses implement :meth:`forward` (pixel-space images from N×D
    latents), :attr:`latent_dim` and :meth:`optim_targets`.
    """
    phase = 'generator'
    student_takes_latents = True

    def __init__(self, pixel_range=(0., 255.), init_cfg=None) -> None:
        super().__init__(pixel_range, init_cfg)
        self._last: Optional[torch.Tensor] = None

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """A batch in pixel space from (N, latent_dim) latents."""
        raise NotImplementedError

    def probe(self) -> torch.Tensor:
        return self(torch.zeros(2, self.latent_dim))

    def step(self, env: SynthesisEnv, latents: torch.Tensor,
             labels: Optional[torch.Tensor],
             optim_wrapper) -> Dict[str, torch.Tensor]:
        terms = env.generator_terms
        wrapper = optim_wrapper['generator']
        with wrapper.optim_context(self), frozen(unwrap_model(env.student)):
            images = self(latents)
            # the unwrapped student: its DDP reducer expects no gradient
            ctx = env.context(images, labels, terms, teacher_grad=True,
                              latents=latents)
            losses = {name: term(ctx) for name, term in terms.items()}
        log = env.update('generator', wrapper, losses)
        # what the teacher sees in the batch, for the collapse monitor
        log.update(batch_diversity(ctx.teacher_logits, ctx.rows_per_sample))
        return log

    def student_batch(self, latents: torch.Tensor,
                      labels: Optional[torch.Tensor]) -> Batch:
        with torch.no_grad():
            images = self(latents)
        self._last = images
        return images, labels

    def batch_indicators(self,
                         ctx: DistillContext) -> Dict[str, torch.Tensor]:
        # a fresh batch: watch it as well
        return batch_diversity(ctx.teacher_logits, ctx.rows_per_sample)

    def preview(self, max_images: int = 1024,
                seed: int = 0) -> Optional[torch.Tensor]:
        return None if self._last is None else self._last[:max_images]
