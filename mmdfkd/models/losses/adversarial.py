"""Generator terms that maximise the student-teacher discrepancy."""
import torch

from mmdfkd.registry import MODELS
from .base import LossTerm
from .context import DistillContext
from .functional import kl_divergence, l1_distance


@MODELS.register_module()
class AdversarialL1Loss(LossTerm):
    """DFAD's generator loss: the negative L1 discrepancy of the logits.

    Args:
        form (str): ``'neg'``: −L1(S, T) (classification); ``'neg_log1p'``:
            −log(1 + L1(S, T)) (segmentation, bounded growth). Defaults to
            ``'neg'``.
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def __init__(self, form: str = 'neg', loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if form not in ('neg', 'neg_log1p'):
            raise ValueError(
                f"form must be 'neg' or 'neg_log1p', got {form!r}")
        self.form = form

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        dist = l1_distance(ctx.student_logits, ctx.teacher_logits)
        return -dist if self.form == 'neg' else -torch.log1p(dist)

    def extra_repr(self) -> str:
        return f'form={self.form!r}, ' + super().extra_repr()


@MODELS.register_module()
class AdversarialKLLoss(LossTerm):
    """ZSKT / DFQ generator loss: −τ²·KL(T ‖ S), the teacher not detached.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = float(tau)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        return -kl_divergence(ctx.teacher_logits, ctx.student_logits,
                              self.tau)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, ' + super().extra_repr()


@MODELS.register_module()
class MaskedAdversarialKLLoss(LossTerm):
    """CMI's adversarial term: −mean_i[m_i · KL(T ‖ S)_i] with m_i = 1 where
    student and teacher agree on the class (argmax), so the generator seeks
    samples the student gets right for the wrong reasons instead of pushing
    into regions where they already disagree.

    Args:
        tau (float): Temperature. Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = float(tau)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        t, s = ctx.teacher_logits, ctx.student_logits
        mask = (t.argmax(dim=1) == s.argmax(dim=1)).float().detach()
        log_p_t = torch.log_softmax(t / self.tau, dim=1)
        log_p_s = torch.log_softmax(s / self.tau, dim=1)
        kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=1)
        return -(mask * kl).mean() * self.tau * self.tau

    def extra_repr(self) -> str:
        return f'tau={self.tau}, ' + super().extra_repr()


@MODELS.register_module()
class AdversarialJSLoss(LossTerm):
    """Adaptive DeepInversion's competition term: 1 − JS(p_S ‖ p_T), where
    JS is the Jensen-Shannon divergence of the softmax outputs at
    temperature ``tau`` (natural log, mean over rows). Minimising it seeks
    inputs where the student disagrees with the teacher. DeepInversion's
    code (and CMI's re-implementation) softens both softmaxes at τ = 3.

    Args:
        tau (float): Temperature of both softmaxes. Defaults to 3.0.
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def __init__(self, tau: float = 3.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}')
        self.tau = float(tau)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        p_t = (ctx.teacher_logits / self.tau).softmax(dim=1)
        p_s = (ctx.student_logits / self.tau).softmax(dim=1)
        m = (0.5 * (p_t + p_s)).clamp_min(1e-12).log()
        kl_t = (p_t * (p_t.clamp_min(1e-12).log() - m)).sum(dim=1)
        kl_s = (p_s * (p_s.clamp_min(1e-12).log() - m)).sum(dim=1)
        return 1 - (0.5 * (kl_t + kl_s)).mean()

    def extra_repr(self) -> str:
        return f'tau={self.tau}, ' + super().extra_repr()
