import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import global_sum
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class ClassBalanceLoss(LossTerm):
    """Information-entropy term of DAFL: Σ_c p̄_c log p̄_c, with p̄ the mean
    teacher softmax over the global batch (every rank). Minimising it spreads
    the synthesized batch over the classes; its minimum is −log C.

    Args:
        loss_weight (float): Defaults to 1.0.
    """

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        probs = ctx.teacher_logits.softmax(dim=1)
        stacked = torch.cat([probs.sum(dim=0), probs.new_full((1, ),
                                                             probs.shape[0])])
        stacked = global_sum(stacked)
        mean_probs = stacked[:-1] / stacked[-1]
        return (mean_probs * torch.log(mean_probs.clamp_min(1e-12))).sum()
