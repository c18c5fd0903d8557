"""Student terms: imitate the teacher on the synthesized batch."""
from typing import Sequence

import torch
import torch.nn.functional as F

from mmdfkd.registry import MODELS
from .base import LossTerm
from .context import DistillContext
from .functional import kl_divergence, l1_distance


@MODELS.register_module()
class KLDivergenceLoss(LossTerm):
    """τ²·KL(softmax(T/τ) ‖ softmax(S/τ)), mean over rows (images or
    pixels); the teacher is detached.

    Args:
        tau (float): Temperature, applied to both sides. Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = float(tau)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        return kl_divergence(ctx.teacher_logits.detach(), ctx.student_logits,
                             self.tau)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, ' + super().extra_repr()


@MODELS.register_module()
class L1LogitsLoss(LossTerm):
    """DFAD's student loss: mean |S − T| over rows and classes (teacher
    detached).

    Args:
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        return l1_distance(ctx.student_logits, ctx.teacher_logits.detach())


@MODELS.register_module()
class AttentionTransferLoss(LossTerm):
    """Attention transfer (ZSKT): for each pair of layers, the mean squared
    difference of the L2-normalised spatial attention maps mean_c(F²).

    Args:
        teacher_layers (Sequence[str]): Teacher module paths.
        student_layers (Sequence[str]): Student module paths, one per
            teacher layer. A student map of another size is resized to the
            teacher's.
        loss_weight (float): Defaults to 1.0 (ZSKT uses 250).
    """
    needs_student = True

    def __init__(self,
                 teacher_layers: Sequence[str],
                 student_layers: Sequence[str],
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if len(teacher_layers) != len(student_layers) or not teacher_layers:
            raise ValueError('teacher_layers and student_layers must be '
                             'non-empty and of equal length, got '
                             f'{teacher_layers} and {student_layers}')
        self.teacher_layers = tuple(teacher_layers)
        self.student_layers = tuple(student_layers)

    @property
    def teacher_records(self) -> Sequence[str]:
        return self.teacher_layers

    @property
    def student_records(self) -> Sequence[str]:
        return self.student_layers

    @staticmethod
    def attention(feat: torch.Tensor, size=None) -> torch.Tensor:
        att = feat.pow(2).mean(dim=1, keepdim=True)
        if size is not None and att.shape[-2:] != size:
            att = F.interpolate(
                att, size=size, mode='bilinear', align_corners=False)
        return F.normalize(att.flatten(1), dim=1)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        total = ctx.images.new_zeros(())
        for t_name, s_name in zip(self.teacher_layers, self.student_layers):
            t_feat = ctx.teacher_feats[t_name].detach()
            t_att = self.attention(t_feat)
            s_att = self.attention(ctx.student_feats[s_name],
                                   t_feat.shape[-2:])
            total = total + (s_att - t_att).pow(2).mean()
        return total
