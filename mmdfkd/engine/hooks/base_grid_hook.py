import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.visualization import LocalVisBackend

from mmdfkd.utils import unwrap_model


class BaseGridHook(Hook):
    """Shared schedule and output of the picture hooks: every ``interval``
    training iterations and at the last one, draws a grid from the latest
    synthesized batch with :meth:`draw` and writes it through the runner's
    visualizer (every backend it has: local files, TensorBoard...); the
    local file's path goes to ``last_path`` and to the message hub under
    ``info_key``.

    Not registered: only the concrete hooks are meant to be configured, and
    ``isinstance`` checks on one of them must not match the other.

    Args:
        interval (int): Every ``interval`` training iterations, and at the
            last one.
        max_images (int): Images in a grid.
        nrow (int): Grid columns (a subclass defines their unit).
        name (str): Image name in the backends.
    """
    priority = 'LOW'
    info_key = ''  # message hub key of the last written file

    def __init__(self, interval: int, max_images: int, nrow: int,
                 name: str) -> None:
        self.interval = interval
        self.max_images = max_images
        self.nrow = nrow
        self.name = name
        self.last_path: Optional[str] = None

    def draw(self, runner, model, images: torch.Tensor) -> np.ndarray:
        """The H×W×3 uint8 grid of ``images`` (the model's whole latest
        batch; ``model`` is unwrapped)."""
        raise NotImplementedError

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not (self.every_n_train_iters(runner, self.interval)
                or self.is_last_train_iter(runner)):
            return
        model = unwrap_model(runner.model)
        images = getattr(model, 'last_images', None)
        if images is None:
            return
        grid = self.draw(runner, model, images)
        step = runner.iter + 1
        runner.visualizer.add_image(self.name, grid, step=step)
        for backend in runner.visualizer._vis_backends.values():
            if isinstance(backend, LocalVisBackend):
                self.last_path = osp.join(backend._save_dir, 'vis_image',
                                          f'{self.name}_{step}.png')
        runner.message_hub.update_info(self.info_key, self.last_path)
