import torch
import torch.nn.functional as F

from mmdfkd.registry import MODELS
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class OneHotLoss(LossTerm):
    """Cross-entropy of the teacher's logits against a hard target (DAFL,
    DFQ, DeepInversion): the synthesized input should be classified
    confidently.

    Args:
        target (str): ``'argmax'``: the teacher's own prediction (DAFL);
            ``'sampled'``: the labels drawn with the latents (DeepInversion).
            Defaults to ``'argmax'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 target: str = 'argmax',
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if target not in ('argmax', 'sampled'):
            raise ValueError(
                f"target must be 'argmax' or 'sampled', got {target!r}")
        self.target = target

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        logits = ctx.teacher_logits
        if self.target == 'argmax':
            target = logits.detach().argmax(dim=1)
        else:
            target = ctx.row_labels()
        return F.cross_entropy(logits, target)

    def extra_repr(self) -> str:
        return f'target={self.target!r}, ' + super().extra_repr()
