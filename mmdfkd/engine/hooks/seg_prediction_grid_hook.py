from typing import Sequence

import numpy as np
import torch

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model
from .base_grid_hook import BaseGridHook
from .synthetic_image_grid_hook import make_grid_image


@HOOKS.register_module()
class SegPredictionGridHook(BaseGridHook):
    """Writes, through the runner's visualizer, the latest synthesized
    images beside the teacher's and the (final) student's argmax maps,
    coloured with the dataset palette: one column triple per image
    (image | teacher | student).

    Args:
        interval (int): Every ``interval`` training iterations, and at the
            last one. Defaults to 200.
        max_images (int): Images shown. Defaults to 16.
        nrow (int): Image triples per grid row. Defaults to 4.
        name (str): Image name in the backends. Defaults to
            ``'seg_predictions'``.
        tile_size (int): Smallest tile side in pixels; smaller images are
            upscaled (nearest neighbour). Defaults to 64.
    """
    info_key = 'seg_prediction_grid'

    def __init__(self,
                 interval: int = 200,
                 max_images: int = 16,
                 nrow: int = 4,
                 name: str = 'seg_predictions',
                 tile_size: int = 64) -> None:
        super().__init__(interval, max_images, nrow, name)
        self.tile_size = tile_size

    def draw(self, runner, model, images: torch.Tensor) -> np.ndarray:
        images = images[:self.max_images]
        maps = {}
        for role, net in (('teacher', model.teacher),
                          ('student', model.final_student)):
            training = net.training
            net.eval()
            with torch.no_grad():
                logits = net(model.normalize(images, role), mode='tensor')
            net.train(training)
            if logits.dim() != 4:
                raise TypeError(
                    'SegPredictionGridHook draws per-pixel predictions, but '
                    f'the {role} gives {tuple(logits.shape)} logits; use '
                    'SyntheticImageGridHook for classifiers.')
            num_classes = logits.shape[1]
            maps[role] = torch.nn.functional.interpolate(
                logits, size=images.shape[-2:], mode='bilinear',
                align_corners=False).argmax(1)
        palette = self._palette(runner, num_classes)
        low, high = unwrap_model(model.synthesizer).pixel_range
        images = model.normalizers['teacher'].to_network_order(images)
        return make_grid_image(
            interleave(images, colorize(maps['teacher'], palette),
                       colorize(maps['student'], palette), low, high),
            0.0, 1.0, nrow=3 * self.nrow, tile_size=self.tile_size)

    @staticmethod
    def _palette(runner, num_classes: int) -> Sequence[Sequence[int]]:
        """The palette of the dataset the visualizer knows (the validation
        loop gives it the val dataset's meta), or a fixed random one when
        there is none or it has fewer colours than classes."""
        meta = getattr(runner.visualizer, 'dataset_meta', None) or {}
        palette = meta.get('palette')
        if palette is None or len(palette) < num_classes:
            rng = np.random.default_rng(0)
            palette = rng.integers(0, 256, (num_classes, 3))
        return palette


def colorize(labels: torch.Tensor,
             palette: Sequence[Sequence[int]]) -> torch.Tensor:
    """N×H×W class indices → N×3×H×W colours in [0, 1]."""
    lut = torch.as_tensor(np.asarray(palette), dtype=torch.float32) / 255
    return lut.to(labels.device)[labels].permute(0, 3, 1, 2)


def interleave(images: torch.Tensor, teacher: torch.Tensor,
               student: torch.Tensor, low: float,
               high: float) -> torch.Tensor:
    """(image, teacher map, student map) triples, all in [0, 1]."""
    x = ((images.detach().float() - low) / (high - low)).clamp(0, 1)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return torch.stack([x[:, :3], teacher, student], 1).flatten(0, 1)
