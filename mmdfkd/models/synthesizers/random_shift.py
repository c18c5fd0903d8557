"""A cheap differentiable random shift (and flip) of a batch of images."""
import torch
import torch.nn.functional as F
from torch import nn

from mmdfkd.registry import MODELS


@MODELS.register_module()
class RandomShift(nn.Module):
    """Shift each image by a random whole number of pixels, up to
    ``max_shift`` in each direction, filling what is uncovered with
    ``fill`` (or, with ``wrap``, rolling what leaves one edge in at the
    other: DeepInversion's ``torch.roll`` jitter, drawn per image); then
    mirror it left-right with probability ``flip_prob``.

    It is the pad-and-crop (+ flip) augmentation of the real-data training
    pipelines, applied to synthesized ``N × C × H × W`` batches: new
    parameters per image, from torch's global generator (so
    ``torch.manual_seed`` reproduces them), and the gradient reaches every
    pixel that stays in view. One gather, no resampling: much cheaper than
    ``DifferentiableViews``' kornia crop on small images (measured: 8×8
    digits, 128 images, forward + backward 24 ms with kornia on a loaded
    2-core machine; this is a pad and an index).

    Args:
        max_shift (int): Largest shift in pixels, each axis. Defaults to 1.
        fill (float): Value of the uncovered pixels, in the images' pixel
            units (0: black, the background of digits and Fashion-MNIST).
            Defaults to 0.
        flip_prob (float): Probability of a left-right mirror (0 for
            glyphs such as digits). Defaults to 0.
        wrap (bool): Roll instead of pad (``fill`` is unused). Defaults to
            False.
    """

    def __init__(self,
                 max_shift: int = 1,
                 fill: float = 0.,
                 flip_prob: float = 0.,
                 wrap: bool = False) -> None:
        super().__init__()
        if int(max_shift) != max_shift or max_shift < 0:
            raise ValueError(
                f'max_shift must be a whole number >= 0, got {max_shift}')
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.max_shift = int(max_shift)
        self.fill = float(fill)
        self.flip_prob = float(flip_prob)
        self.wrap = bool(wrap)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4:
            raise ValueError('RandomShift expects N×C×H×W images, got shape '
                             f'{tuple(images.shape)}')
        n, _, h, w = images.shape
        s = self.max_shift
        if s > 0 and self.wrap:
            # out[i] = in[(i - shift) % size], as torch.roll, per image
            shift = torch.randint(-s, s + 1, (2, n)).to(images.device)
            rows = (torch.arange(h, device=images.device) -
                    shift[0][:, None]) % h
            cols = (torch.arange(w, device=images.device) -
                    shift[1][:, None]) % w
            batch = torch.arange(n, device=images.device)[:, None, None]
            images = images.permute(0, 2, 3, 1)[batch, rows[:, :, None],
                                                cols[:, None, :]]
            images = images.permute(0, 3, 1, 2)
        elif s > 0:
            padded = F.pad(images, (s, s, s, s), value=self.fill)
            # window origins in the padded image: 0..2s (s = no shift)
            top, left = torch.randint(0, 2 * s + 1, (2, n)).to(images.device)
            rows = top[:, None] + torch.arange(h, device=images.device)
            cols = left[:, None] + torch.arange(w, device=images.device)
            batch = torch.arange(n, device=images.device)[:, None, None]
            # advanced indexing puts the indexed axes first: N × H × W × C
            images = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None],
                                                cols[:, None, :]]
            images = images.permute(0, 3, 1, 2)
        if self.flip_prob > 0:
            flip = (torch.rand(n) < self.flip_prob).to(images.device)
            images = torch.where(flip[:, None, None, None], images.flip(-1),
                                 images)
        return images

    def extra_repr(self) -> str:
        return (f'max_shift={self.max_shift}, fill={self.fill}, '
                f'flip_prob={self.flip_prob}, wrap={self.wrap}')
