from typing import Optional, Sequence

import cv2
import numpy as np
import torch

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model
from .base_grid_hook import BaseGridHook

CAPTION_HEIGHT = 14
LABEL_WIDTH = 64


@HOOKS.register_module()
class SyntheticImageGridHook(BaseGridHook):
    """Writes a grid of synthesized images through the runner's visualizer
    (every backend it has: local files, TensorBoard...), laid out so that a
    person sees at a glance whether synthesis covers the classes: one row
    per class of the teacher (its argmax), up to ``nrow`` tiles each, every
    tile upscaled (nearest neighbour) to at least ``tile_size`` pixels and
    captioned with the teacher's class and confidence; the row label says
    the class and how many of the images (``n``) the teacher put in it. An
    empty row is a class the synthesis missed.

    Online generators show their latest batch; pool methods a draw of
    up to 1,024 images of the whole pool, without replacement. Images are
    shown in the channel order the teacher computes on (RGB for a
    ``to_rgb`` / ``bgr_to_rgb`` teacher). With a segmentation teacher
    (per-pixel classes) the first ``max_images`` images are tiled,
    ``nrow`` a row, upscaled alike; ``SegPredictionGridHook`` shows their
    class maps.

    Args:
        interval (int): Every ``interval`` training iterations, and at the
            last one. Defaults to 200.
        max_images (int): Most tiles in a grid: every class gets a row of
            ``min(nrow, max_images // classes)`` tiles (at least one).
            Defaults to 80 (8 per class for 10 classes).
        nrow (int): Most tiles per class row. Defaults to 8.
        name (str): Image name in the backends. Defaults to ``'synthetic'``.
        tile_size (int): Smallest tile side in pixels after upscaling.
            Defaults to 64.
    """
    info_key = 'synthetic_grid'

    def __init__(self,
                 interval: int = 200,
                 max_images: int = 80,
                 nrow: int = 8,
                 name: str = 'synthetic',
                 tile_size: int = 64) -> None:
        super().__init__(interval, max_images, nrow, name)
        self.tile_size = tile_size

    def draw(self, runner, model, images: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            logits = model.teacher_forward(images)
        low, high = unwrap_model(model.synthesizer).pixel_range
        images = model.normalizers['teacher'].to_network_order(images)
        if logits.dim() != 2:  # a segmentor: no class per image
            return make_grid_image(images[:self.max_images], low, high,
                                   self.nrow, tile_size=self.tile_size)
        probs = logits.float().softmax(1)
        meta = getattr(runner.visualizer, 'dataset_meta', None) or {}
        per_row = max(1, min(self.nrow, self.max_images // probs.shape[1]))
        return class_grid_image(images, probs, low, high, per_row,
                                self.tile_size, meta.get('classes'))


def upscale(x: torch.Tensor, tile_size: int) -> torch.Tensor:
    """Nearest-neighbour upscaling of N×C×H×W by the smallest integer
    factor that makes the shorter side at least ``tile_size``."""
    factor = max(1, -(-tile_size // min(x.shape[-2:])))
    return x.repeat_interleave(factor, -2).repeat_interleave(factor, -1)


def _to_rgb(images: torch.Tensor, low: float, high: float) -> torch.Tensor:
    x = ((images.detach().float().cpu() - low) / (high - low)).clamp(0, 1)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return x[:, :3]


def _text(canvas: np.ndarray, text: str, left: int, top: int,
          height: int) -> None:
    """Black text on the white strip ``canvas[top:top + height]``."""
    cv2.putText(canvas, text, (left + 2, top + height - 3),
                cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)


def class_grid_image(images: torch.Tensor,
                     probs: torch.Tensor,
                     low: float,
                     high: float,
                     per_row: int = 8,
                     tile_size: int = 64,
                     class_names: Optional[Sequence[str]] = None,
                     pad: int = 2) -> np.ndarray:
    """One row per class (the teacher's argmax), ``per_row`` captioned
    tiles each, the most confident first, as an H×W×3 uint8 RGB array.

    Args:
        images (Tensor): N×C×H×W pixel-space images in [low, high].
        probs (Tensor): N×K teacher probabilities.
        low, high (float): Pixel range.
        per_row (int): Tiles per class row. Defaults to 8.
        tile_size (int): Smallest tile side after upscaling. Defaults to
            64.
        class_names (Sequence[str], optional): Names of the K classes.
        pad (int): White pixels between tiles. Defaults to 2.
    """
    conf, cls = probs.max(1)
    num_classes = probs.shape[1]
    names = [str(n) for n in class_names] if class_names and len(
        class_names) == num_classes else [str(k) for k in range(num_classes)]
    x = upscale(_to_rgb(images, low, high), tile_size)
    h, w = x.shape[-2:]
    rows = num_classes
    cell_h, cell_w = h + CAPTION_HEIGHT + pad, w + pad
    canvas = np.full((rows * cell_h + pad, LABEL_WIDTH + per_row * cell_w +
                      pad, 3), 255, np.uint8)
    tiles = (x.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    for k in range(rows):
        members = (cls == k).nonzero().flatten()
        members = members[conf[members].argsort(descending=True)]
        top = pad + k * cell_h
        _text(canvas, f'class {names[k]}', 0, top + h // 2 - CAPTION_HEIGHT,
              CAPTION_HEIGHT)
        _text(canvas, f'n={len(members)}', 0, top + h // 2, CAPTION_HEIGHT)
        for j, i in enumerate(members[:per_row].tolist()):
            left = LABEL_WIDTH + pad + j * cell_w
            canvas[top:top + h, left:left + w] = tiles[i]
            _text(canvas, f'{names[k]} {100 * float(conf[i]):.0f}%', left,
                  top + h, CAPTION_HEIGHT)
    return canvas


def make_grid_image(images: torch.Tensor, low: float, high: float,
                    nrow: int = 8, pad: int = 1,
                    tile_size: int = 1) -> np.ndarray:
    """Tile N×C×H×W pixel-space images (values in [low, high]) into an
    H'×W'×3 uint8 RGB array, each upscaled (nearest neighbour) to at least
    ``tile_size`` pixels."""
    x = upscale(_to_rgb(images, low, high), tile_size)
    n, c, h, w = x.shape
    ncol = min(nrow, n)
    nrows = -(-n // ncol)
    grid = torch.ones(c, nrows * (h + pad) + pad, ncol * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, ncol)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top:top + h, left:left + w] = x[i]
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
