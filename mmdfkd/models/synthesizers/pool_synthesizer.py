"""The pool family: synthesized batches are kept and trained on."""
from typing import Callable, Dict, Optional, Tuple

import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import (eval_mode, frozen, global_sum, rank_distinct_rng,
                          unwrap_model)
from .base import Batch, BaseSynthesizer, SynthesisEnv
from .indicators import batch_diversity, class_balance
from .pool import SyntheticPool
from .precision import check_autocast_dtype

#: ``loss_fn(images) -> {name: loss}``: the generator-loss terms of the
#: round on a batch (teacher, and the student if a term reads it, inside).
LossFn = Callable[[torch.Tensor], Dict[str, torch.Tensor]]


class PoolSynthesizer(BaseSynthesizer):
    """Pool-based synthesis (DeepInversion, CMI, Fast DFKD): each
    ``'synthesis'`` step optimises a batch in an inner loop of its own,
    labels it with the teacher's argmax and appends it to :attr:`pool`;
    student steps train on batches drawn from the whole pool.

    The student is in eval mode and frozen while a batch is synthesized, as
    in the reference code of DeepInversion, CMI and Fast DFKD: the inner
    iterates do not move its BatchNorm running statistics. After the inner
    loop every generator-loss term's ``end_round`` is called (e.g. a
    BN-statistics history). A synthesis step logs its loss terms, the pool
    size, the batch's collapse indicators and the class balance of the
    whole pool (what the student trains on).

    Subclasses implement :meth:`synthesize` (the inner loop) and keep
    :attr:`iterations`, its number of steps.

    Under N processes every rank synthesizes its own batches: the inner
    loop runs with rank-distinct random numbers (:func:`~mmdfkd.utils.
    rank_distinct_rng`) besides the rank's own latents.

    Args:
        pool (dict, optional): :class:`SyntheticPool` arguments (e.g.
            ``max_size``), or a registered pool with ``type``, e.g.
            ``dict(type='DiskPool', shard_size=512)`` (uint8 shards on
            disk, read with bounded memory; it gets this ``pixel_range``).
            Defaults to None (an unbounded in-memory pool).
        student_views (dict, optional): ``DifferentiableViews`` applied to
            pool batches before the student step (the usual train
            augmentation). Defaults to None.
        student_batch_size (int, optional): Images drawn from the pool for
            a student step. Defaults to the latent batch size.
        pixel_range (tuple[float, float]): Defaults to (0, 255).
        autocast_dtype (str, optional): ``'bfloat16'`` runs the inner
            loop's forward passes under autocast (losses and updates stay
            float32). Defaults to None (full precision).
        init_cfg (dict, optional): Defaults to None.
    """
    phase = 'synthesis'
    student_takes_latents = False
    #: Steps of the inner loop per round.
    iterations: int

    def __init__(self,
                 pool: Optional[dict] = None,
                 student_views: Optional[dict] = None,
                 student_batch_size: Optional[int] = None,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 autocast_dtype: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(pixel_range, init_cfg)
        pool = dict(pool or {})
        if 'type' in pool:
            pool.setdefault('pixel_range', self.pixel_range)
            self.pool = MODELS.build(pool)
        else:
            self.pool = SyntheticPool(**pool)
        self.student_views = (
            MODELS.build(student_views) if student_views else None)
        self.student_batch_size = student_batch_size
        self.autocast_dtype = check_autocast_dtype(autocast_dtype)

    def synthesize(self, env: SynthesisEnv, loss_fn: LossFn,
                   latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Optimise one batch of ``len(latents)`` images; return it (pixel
        space, detached) and its loss terms."""
        raise NotImplementedError

    def step(self, env: SynthesisEnv, latents: torch.Tensor,
             labels: Optional[torch.Tensor],
             optim_wrapper=None) -> Dict[str, torch.Tensor]:
        """Synthesize a batch, label it with the teacher's argmax and
        append it to the pool."""
        terms = env.generator_terms
        student = unwrap_model(env.student)

        def loss_fn(images: torch.Tensor) -> Dict[str, torch.Tensor]:
            ctx = env.context(images, labels, terms, teacher_grad=True)
            return {name: term(ctx) for name, term in terms.items()}

        self.pool.check_writable()  # e.g. a DiskPool's folder, before work
        with frozen(student), eval_mode(student), \
                rank_distinct_rng(latents.device):
            images, losses = self.synthesize(env, loss_fn, latents)
        for term in terms.values():
            term.end_round()
        with torch.no_grad():
            logits = env.teacher_forward(images)
        self.pool.add(images, logits.argmax(1))
        log = {f'synthesis.loss_{name}': v for name, v in losses.items()}
        log['synthesis.loss'] = sum(losses.values())
        log['synthesis.pool_size'] = torch.tensor(float(len(self.pool)))
        log.update(batch_diversity(logits))
        # what the student trains on: the classes of the whole pool (of
        # every rank's pool; a DiskPool's counts are all ranks' already)
        counts = self.pool.class_counts(logits.shape[1]).to(
            logits.device).float()
        if not self.pool.spans_ranks:
            counts = global_sum(counts)
        log['synthesis.pool_class_balance'] = class_balance(counts)
        return log

    def student_batch(self, latents: torch.Tensor,
                      labels: Optional[torch.Tensor]) -> Batch:
        """A draw from the pool (through ``student_views``); the latents
        give only the size and device, their labels do not belong to it."""
        if len(self.pool) == 0:
            raise RuntimeError(
                'the pool is empty: schedule a synthesis phase before the '
                'first student step')
        images, _ = self.pool.sample(
            self.student_batch_size or len(latents), device=latents.device)
        if self.student_views is not None:
            images = self.student_views(images)
        return images, None

    def preview(self, max_images: int = 1024,
                seed: int = 0) -> Optional[torch.Tensor]:
        """A draw of the pool without replacement (a repeated image would
        show twice), from a private generator (a DiskPool: of its shards
        in memory)."""
        if not len(self.pool):
            return None
        return self.pool.subset(max_images, seed)
