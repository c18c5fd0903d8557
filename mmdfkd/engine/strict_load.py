"""Runners whose ``load_from`` is loaded strictly.

MMEngine's ``Runner.load_or_resume`` loads ``cfg.load_from`` with
``strict=False``: a checkpoint of another architecture loads partially,
with a "size mismatch" line in the log, and the model is evaluated with
the rest of its weights random (a teacher of other widths scored 9.44 %
that way). Here the runner is built without ``load_from`` and the file is
then loaded with ``Runner.load_checkpoint(strict=True)``: any missing,
unexpected or mis-shaped key stops the run, naming the file.
"""
from typing import Callable, Optional

from mmengine.config import Config
from mmengine.runner import Runner

__all__ = ['CheckpointMismatchError', 'build_runner']


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the model of the config."""


def build_runner(cfg: Config,
                 build: Optional[Callable[[Config], Runner]] = None
                 ) -> Runner:
    """Build the runner of ``cfg`` and load ``cfg.load_from`` strictly.

    A resumed run (``cfg.resume``) keeps MMEngine's resume, whose model
    and optimiser configuration :func:`mmdfkd.engine.check_resumable` has
    compared with the checkpoint's.

    Args:
        cfg (Config): The config; its ``load_from`` is cleared when it is
            loaded here.
        build (callable, optional): Builds the runner from the config.
            Defaults to ``Runner.from_cfg``.

    Returns:
        Runner: With the weights of ``load_from`` loaded.

    Raises:
        CheckpointMismatchError: The checkpoint has missing, unexpected or
            differently shaped weights.
    """
    load_from = None if cfg.get('resume') else cfg.get('load_from')
    if load_from:
        cfg.load_from = None
    runner = (build or Runner.from_cfg)(cfg)
    if load_from:
        try:
            runner.load_checkpoint(load_from, strict=True)
        except RuntimeError as err:
            raise CheckpointMismatchError(
                f'{load_from} does not fit the model of the config (loaded '
                f'strictly): {err}. Evaluate it with the config it was '
                'trained with (the same architecture overrides).') from err
    return runner
