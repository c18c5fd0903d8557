import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmdfkd.models.algorithms import DataFreeDistiller
from mmdfkd.utils import unwrap_model

#: Images of a synthesizer's preview the grid is drawn from (a pool's are
#: drawn without replacement by a private generator: training's random
#: streams are untouched).
PREVIEW_IMAGES = 1024


class BaseGridHook(Hook):
    """Shared schedule and output of the picture hooks: every ``interval``
    training iterations and at the last one, draws a grid with :meth:`draw`
    from the synthesizer's preview (:meth:`~mmdfkd.models.synthesizers.
    BaseSynthesizer.preview`: an online generator's latest batch, a draw of
    a pool) and writes it through the runner's visualizer (every backend it
    has: local files, TensorBoard...). The file a ``LocalVisBackend`` writes
    (``<log_dir>/vis_data/vis_image/<name>_<step>.png``, the runner's
    default layout) goes to ``last_path`` and to the message hub under
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

    def draw(self, runner, model: DataFreeDistiller,
             images: torch.Tensor) -> np.ndarray:
        """The H×W×3 uint8 grid of ``images`` (the synthesizer's preview;
        ``model`` is unwrapped)."""
        raise NotImplementedError

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        if not isinstance(model, DataFreeDistiller):
            raise TypeError(
                f'{type(self).__name__} draws synthesized images, but the '
                f'model is a {type(model).__name__}, which synthesizes '
                'none; remove the hook from the config.')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not (self.every_n_train_iters(runner, self.interval)
                or self.is_last_train_iter(runner)):
            return
        model = unwrap_model(runner.model)
        images = unwrap_model(model.synthesizer).preview(
            PREVIEW_IMAGES, seed=runner.iter)
        if images is None:
            return
        grid = self.draw(runner, model, images.detach())
        step = runner.iter + 1
        runner.visualizer.add_image(self.name, grid, step=step)
        path = osp.join(runner.log_dir, 'vis_data', 'vis_image',
                        f'{self.name}_{step}.png')
        self.last_path = path if osp.isfile(path) else None
        runner.message_hub.update_info(self.info_key, self.last_path)
