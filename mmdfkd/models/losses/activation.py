from typing import Sequence

import torch

from mmdfkd.registry import MODELS
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class ActivationLoss(LossTerm):
    """DAFL's activation term, −mean|f_T(x)| on teacher features (by default
    the input of the classification head, i.e. the penultimate features).

    Args:
        layer (str): Teacher record to read: a module path, with ``':in'``
            for its input. Defaults to ``'head:in'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 layer: str = 'head:in',
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.layer = layer

    @property
    def teacher_records(self) -> Sequence[str]:
        return (self.layer, )

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        return -ctx.teacher_feats[self.layer].abs().mean()

    def extra_repr(self) -> str:
        return f'layer={self.layer!r}, ' + super().extra_repr()
