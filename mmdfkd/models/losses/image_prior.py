import torch

from mmdfkd.registry import MODELS
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class TotalVariationLoss(LossTerm):
    """Smoothness prior of DeepInversion: the mean absolute difference of
    neighbouring pixels, over the four directions (horizontal, vertical and
    both diagonals), of the synthesized images divided by their pixel scale.

    Args:
        pixel_scale (float): Divides the images first, so that the weight
            does not depend on the pixel range. Defaults to 255.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 pixel_scale: float = 255.,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.pixel_scale = float(pixel_scale)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        x = ctx.images / self.pixel_scale
        diffs = (x[..., :, 1:] - x[..., :, :-1],
                 x[..., 1:, :] - x[..., :-1, :],
                 x[..., 1:, 1:] - x[..., :-1, :-1],
                 x[..., 1:, :-1] - x[..., :-1, 1:])
        return sum(d.abs().mean() for d in diffs)
