"""RDSKD's inter-sample diversity term."""
import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import global_sum
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class InterSampleDiversityLoss(LossTerm):
    """1 / (ℓ_z + ε), with ℓ_z the mean over pairs of
    ‖softmax T(x₂) − softmax T(x₁)‖ / ‖z₂ − z₁‖ (RDSKD, ICASSP'21).

    The batch is split in two halves and sample i of the first half is
    paired with sample i of the second. ℓ_z measures how far apart the
    teacher sees two samples per unit of latent distance (the
    mode-seeking ratio); minimising 1/(ℓ_z + ε) makes the generator map
    different latents to samples the teacher tells apart, against mode
    collapse. Under DDP the mean runs over the pairs of every rank.

    Args:
        eps (float): Keeps the term finite when all outputs coincide.
            Defaults to 1e-5.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, eps: float = 1e-5, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if eps <= 0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.eps = float(eps)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        if ctx.latents is None:
            raise ValueError(
                'InterSampleDiversityLoss reads the latents of the batch; '
                'use it as a generator loss of an online generator (the '
                "'generator' phase), not on pools or real data")
        n = ctx.latents.shape[0] // 2
        if n == 0:
            raise ValueError('InterSampleDiversityLoss pairs the two halves '
                             'of the batch; it needs at least 2 samples per '
                             'process')
        # one row per sample, also for per-pixel (segmentation) logits
        probs = ctx.teacher_logits.float().softmax(dim=1)
        probs = probs.reshape(ctx.latents.shape[0], -1)
        z = ctx.latents.float().flatten(1)
        d_out = (probs[n:2 * n] - probs[:n]).norm(dim=1)
        d_z = (z[n:2 * n] - z[:n]).norm(dim=1).clamp_min(1e-12)
        stats = global_sum(
            torch.stack([(d_out / d_z).sum(),
                         d_out.new_tensor(float(n))]))
        ratio = stats[0] / stats[1]
        return 1.0 / (ratio + self.eps)

    def extra_repr(self) -> str:
        return f'eps={self.eps}, ' + super().extra_repr()
