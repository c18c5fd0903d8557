import numpy as np
import torch

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model
from .base_grid_hook import BaseGridHook


@HOOKS.register_module()
class SyntheticImageGridHook(BaseGridHook):
    """Writes a grid of the latest synthesized batch through the runner's
    visualizer (every backend it has: local files, TensorBoard...).

    Args:
        interval (int): Every ``interval`` training iterations, and at the
            last one. Defaults to 200.
        max_images (int): Images in a grid. Defaults to 64.
        nrow (int): Images per grid row. Defaults to 8.
        name (str): Image name in the backends. Defaults to ``'synthetic'``.
    """
    info_key = 'synthetic_grid'

    def __init__(self,
                 interval: int = 200,
                 max_images: int = 64,
                 nrow: int = 8,
                 name: str = 'synthetic') -> None:
        super().__init__(interval, max_images, nrow, name)

    def draw(self, runner, model, images: torch.Tensor) -> np.ndarray:
        low, high = unwrap_model(model.synthesizer).pixel_range
        return make_grid_image(images[:self.max_images], low, high,
                               self.nrow)


def make_grid_image(images: torch.Tensor, low: float, high: float,
                    nrow: int = 8, pad: int = 1) -> np.ndarray:
    """Tile N×C×H×W pixel-space images (values in [low, high]) into an
    H'×W'×3 uint8 RGB array."""
    x = ((images.detach().float().cpu() - low) / (high - low)).clamp(0, 1)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    x = x[:, :3]
    n, c, h, w = x.shape
    ncol = min(nrow, n)
    nrows = -(-n // ncol)
    grid = torch.ones(c, nrows * (h + pad) + pad, ncol * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, ncol)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top:top + h, left:left + w] = x[i]
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
