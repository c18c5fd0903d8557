"""RDSKD's exponential penalty of loss increments."""
from typing import Sequence

import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import global_sum
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class ExpIncrementPenalty(LossTerm):
    """exp(L − L_prev) of a wrapped term L (RDSKD, ICASSP'21).

    ``L_prev`` is a detached snapshot: the mean of L over the previous
    "epoch" of updates. An increment of L over that level is penalised
    exponentially, a decrease is rewarded less and less, which damps the
    swings of terms that pull against each other (RDSKD wraps the one-hot
    and the class-balance terms). The gradient is exp(L − L_prev)·∇L: the
    wrapped term's own gradient, scaled up when it got worse.

    An epoch is ``interval`` updates of the term: the snapshot is refreshed
    (:meth:`refresh_snapshot`) when an update finds that many counted since
    the last refresh, before it reads the snapshot. Stages without updates
    (RDSKD's student stage) keep the last snapshot. Before the first
    refresh the snapshot is the current value (the penalty is 1, its
    gradient ∇L). Snapshot and running sums are buffers: they travel in
    checkpoints and survive ``--resume``; every rank counts the same
    updates, so the refresh (a collective) happens on all at once.

    Args:
        loss (dict): Config of the wrapped :class:`LossTerm` (its own
            ``loss_weight`` applies inside the exponential).
        interval (int): Updates per epoch (RDSKD: 120 iterations of one
            generator update each). Defaults to 120.
        loss_weight (float): Multiplier of the penalty. Defaults to 1.0.
    """

    def __init__(self,
                 loss: dict,
                 interval: int = 120,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if int(interval) < 1:
            raise ValueError(
                f'ExpIncrementPenalty: interval must be >= 1, got {interval}')
        self.interval = int(interval)
        self.loss = MODELS.build(loss)
        if not isinstance(self.loss, LossTerm):
            raise TypeError(
                f'ExpIncrementPenalty wraps an mmdfkd LossTerm; `loss` built '
                f'a {type(self.loss).__name__}. Give a loss-term config such '
                "as dict(type='OneHotLoss').")
        self.needs_student = self.loss.needs_student
        self.needs_bn_moments = self.loss.needs_bn_moments
        # NaN: no snapshot yet
        self.register_buffer('snapshot', torch.tensor(float('nan')))
        self.register_buffer('epoch_sum', torch.zeros(()))
        self.register_buffer('epoch_count', torch.zeros(()))

    @property
    def teacher_records(self) -> Sequence[str]:
        return self.loss.teacher_records

    @property
    def student_records(self) -> Sequence[str]:
        return self.loss.student_records

    def end_round(self) -> None:
        self.loss.end_round()

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        value = self.loss(ctx)
        current = value.detach().float()
        if torch.is_grad_enabled():  # an update, not an evaluation
            if int(self.epoch_count) >= self.interval:
                self.refresh_snapshot()
            self.epoch_sum += current
            self.epoch_count += 1
        prev = self.snapshot
        if torch.isnan(prev):
            prev = current
        return torch.exp(value - prev.to(value.dtype))

    @torch.no_grad()
    def refresh_snapshot(self) -> None:
        """Set the snapshot to the mean of the wrapped loss since the last
        refresh, over all ranks (every rank keeps the same snapshot); keep
        it when there was no update (e.g. in a student-only stage)."""
        stats = global_sum(torch.stack([self.epoch_sum, self.epoch_count]))
        if stats[1] > 0:
            self.snapshot.copy_(stats[0] / stats[1])
        self.epoch_sum.zero_()
        self.epoch_count.zero_()

    def extra_repr(self) -> str:
        return (f'interval={self.interval}, '
                f'snapshot={float(self.snapshot):.4g}, ' +
                super().extra_repr())
