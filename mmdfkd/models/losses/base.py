from typing import Sequence

import torch
from torch import nn

from .context import DistillContext


class LossTerm(nn.Module):
    """A weighted loss term over a :class:`DistillContext`.

    Subclasses implement :meth:`compute` and declare what they need, so the
    distiller runs only the forward passes and hooks that some term uses.

    Args:
        loss_weight (float): Multiplier of the term. Defaults to 1.0.
    """
    #: Whether the term reads ``ctx.student_logits``.
    needs_student: bool = False
    #: Whether the term reads the teacher's BatchNorm input moments.
    needs_bn_moments: bool = False

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)

    @property
    def teacher_records(self) -> Sequence[str]:
        """Teacher activations the term reads (``'module.path'`` for an
        output, ``'module.path:in'`` for an input)."""
        return ()

    @property
    def student_records(self) -> Sequence[str]:
        """Student activations the term reads, named like
        :attr:`teacher_records`."""
        return ()

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        raise NotImplementedError

    def end_round(self) -> None:
        """Called after each synthesis round (e.g. to update a history);
        nothing by default."""

    def forward(self, ctx: DistillContext) -> torch.Tensor:
        return self.loss_weight * self.compute(ctx)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
