from typing import List, Optional

import torch

from mmdfkd.registry import MODELS
from mmdfkd.utils import global_sum, pack_state, unpack_state
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class BNStatisticsLoss(LossTerm):
    """Match the teacher's BatchNorm running statistics ("teacher as
    discriminator", DeepInversion / DFQ / DDAD).

    Per BatchNorm layer of the teacher, the batch mean and biased variance of
    the layer's input over (N, H, W) of the *global* batch (all ranks) are
    compared with the running ones, and the layer terms are summed.

    Args:
        mode (str): ``'l2'``: ‖μ − μ_run‖₂ + ‖σ² − σ²_run‖₂ (unsquared
            norms); ``'gaussian_kl'``: KL(N(μ, σ²) ‖ N(μ_run, σ²_run)) per
            channel, mean over channels. Defaults to ``'l2'``.
        eps (float): Added to variances in the KL form. Defaults to 1e-5.
        momentum (float, optional): Fast DFKD's momentum target: the batch
            statistics are blended with a moving average of the statistics
            of earlier synthesized batches, ``m·history + (1 − m)·batch``,
            before being compared with the running ones, so each new batch
            makes up for what the pool lacks. The history is updated at
            :meth:`end_round` and travels in checkpoints. Defaults to None
            (the batch alone).
        first_layer_weight (float): Multiplies the term of the first
            BatchNorm layer the images reach (DeepInversion's ImageNet code
            weighs it ×10, ``first_bn_multiplier``). Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
    """
    needs_bn_moments = True

    def __init__(self,
                 mode: str = 'l2',
                 eps: float = 1e-5,
                 momentum: Optional[float] = None,
                 first_layer_weight: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if mode not in ('l2', 'gaussian_kl'):
            raise ValueError(
                f"mode must be 'l2' or 'gaussian_kl', got {mode!r}")
        if momentum is not None and not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        self.mode = mode
        self.eps = eps
        self.momentum = momentum
        self.first_layer_weight = float(first_layer_weight)
        self._history: Optional[List[torch.Tensor]] = None  # per layer
        self._last: Optional[List[torch.Tensor]] = None

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        moments = ctx.bn_moments
        if not moments:
            raise RuntimeError('BNStatisticsLoss got no BatchNorm moments: '
                               'the teacher forward recorded none')
        # One all-reduce for every layer: sums, squared sums and counts.
        device = moments[0].shifted_sum.device
        counts = torch.tensor([float(m.count) for m in moments],
                              device=device)
        flat = torch.cat([counts] + [
            torch.cat([m.shifted_sum, m.shifted_sq_sum]) for m in moments
        ])
        flat = global_sum(flat)
        counts, offset = flat[:len(moments)], len(moments)
        total = flat.new_zeros(())
        last = []
        for i, m in enumerate(moments):
            c = m.shifted_sum.numel()
            mean_shift = flat[offset:offset + c] / counts[i]
            var = flat[offset + c:offset + 2 * c] / counts[i] - mean_shift**2
            offset += 2 * c
            if self.momentum is not None:
                stats = torch.cat([mean_shift, var])
                last.append(stats.detach())
                if self._history is not None:
                    stats = (self.momentum * self._history[i] +
                             (1 - self.momentum) * stats)
                    mean_shift, var = stats[:c], stats[c:]
            term = self._layer_term(mean_shift, var, m.running_var)
            if i == 0:
                term = term * self.first_layer_weight
            total = total + term
        self._last = last or None
        return total

    def end_round(self) -> None:
        """Blend the last batch's statistics into the history."""
        if self.momentum is None or self._last is None:
            return
        if self._history is None:
            self._history = self._last
        else:
            self._history = [
                self.momentum * h + (1 - self.momentum) * s
                for h, s in zip(self._history, self._last)
            ]
        self._last = None

    def get_extra_state(self) -> torch.Tensor:
        return pack_state({'history': self._history or []})

    def set_extra_state(self, state: torch.Tensor) -> None:
        self._history = list(unpack_state(state)['history']) or None

    def _layer_term(self, mean_shift: torch.Tensor, var: torch.Tensor,
                    running_var: torch.Tensor) -> torch.Tensor:
        if self.mode == 'l2':
            return (torch.linalg.vector_norm(mean_shift) +
                    torch.linalg.vector_norm(var - running_var))
        var = var.clamp_min(0) + self.eps
        run_var = running_var + self.eps
        kl = 0.5 * (torch.log(run_var / var) +
                    (var + mean_shift**2) / run_var - 1)
        return kl.mean()

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}, ' + super().extra_repr()
