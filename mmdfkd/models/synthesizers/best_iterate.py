"""The lowest-loss iterate of a synthesizer's inner loop."""
from typing import Dict

import torch


class BestIterate:
    """Keeps, on the device, the values of the inner-loop step with the
    lowest total loss: no host read per step (a comparison and a
    ``torch.where`` per tracked tensor). A NaN total never qualifies.

    Args:
        device (torch.device): Where the loop runs.
    """

    def __init__(self, device: torch.device) -> None:
        self.total = torch.full((), float('inf'), device=device)
        self.values: Dict[str, torch.Tensor] = {}
        self.losses: Dict[str, torch.Tensor] = {}

    def update(self, total: torch.Tensor, losses: Dict[str, torch.Tensor],
               **values: torch.Tensor) -> None:
        """Keep ``values`` and ``losses`` (detached) if ``total`` is the
        lowest so far; the first values are kept whatever their loss."""
        total = total.detach()
        better = total < self.total
        self.total = torch.where(better, total, self.total)
        for key, value in values.items():
            value = value.detach()
            kept = self.values.get(key)
            # the first value is copied: the loop may update it in place
            self.values[key] = value.clone() if kept is None else \
                torch.where(better, value, kept)
        self.losses = {
            k: torch.where(better, v.detach(),
                           self.losses.get(k, v.detach()))
            for k, v in losses.items()
        }

    def check(self) -> None:
        """Raise when no step had a finite loss (one host read).

        Raises:
            FloatingPointError: naming the usual fixes.
        """
        if not torch.isfinite(self.total):
            raise FloatingPointError(
                'every synthesis step gave a non-finite loss; lower the '
                'learning rate or the loss weights')
