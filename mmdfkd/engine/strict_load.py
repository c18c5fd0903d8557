"""Runners whose ``load_from`` is loaded strictly.

MMEngine's ``Runner.load_or_resume`` loads ``cfg.load_from`` with
``strict=False``: a checkpoint of another architecture loads partially,
with a "size mismatch" line in the log, and the model is evaluated with
the rest of its weights random (a teacher of other widths scored 9.44 %
that way), and ``Runner.resume`` does the same. Here the runner is built
without ``load_from`` and the file is then loaded with
``Runner.load_checkpoint(strict=True)``; a checkpoint to resume from is
compared key by key and shape by shape with the model first. Any missing,
unexpected or mis-shaped key stops the run, naming the file.
"""
import os.path as osp
from typing import Callable, Optional

from mmengine.config import Config
from mmengine.runner import Runner, find_latest_checkpoint
from mmengine.runner.checkpoint import get_state_dict

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine.config_text import FormatOnceConfig
from mmdfkd.models.algorithms import BaseDistiller
from mmdfkd.utils import unwrap_model

__all__ = ['CheckpointMismatchError', 'build_runner', 'check_state_fits']


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the model of the config."""


def build_runner(cfg: Config,
                 build: Optional[Callable[[Config], Runner]] = None
                 ) -> Runner:
    """Build the runner of ``cfg`` and load ``cfg.load_from`` strictly.

    A resumed run (``cfg.resume``) keeps MMEngine's resume (weights,
    optimisers, schedulers, counters) after :func:`check_state_fits` has
    compared the checkpoint's weights with the model. The runner gets the
    config as a :class:`~mmdfkd.engine.config_text.FormatOnceConfig`: its
    text is laid out once, not for every copy MMEngine writes.

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
    runner = (build or Runner.from_cfg)(FormatOnceConfig.of(cfg))
    if cfg.get('resume'):
        resumed = cfg.get('load_from') or find_latest_checkpoint(
            cfg.work_dir)
        if resumed and osp.isfile(resumed):
            check_state_fits(runner.model, resumed)
    if load_from:
        try:
            runner.load_checkpoint(load_from, strict=True)
        except RuntimeError as err:
            raise CheckpointMismatchError(
                f'{load_from} does not fit the model of the config (loaded '
                f'strictly): {err}. Evaluate it with the config it was '
                'trained with (the same architecture overrides).') from err
    return runner


def check_state_fits(model, path: str) -> None:
    """Raise when the ``state_dict`` of checkpoint ``path`` does not have
    exactly the keys of ``model`` (as MMEngine saves it: model wrappers
    removed) and the shapes of its weights. A distiller's state written by
    an earlier mmdfkd is first brought to the current layout, as loading
    it does (:meth:`~mmdfkd.models.algorithms.BaseDistiller.
    upgrade_state_dict`).

    Raises:
        CheckpointMismatchError: naming the file and the first differences.
        ValueError: For a distiller state newer than this mmdfkd reads.
    """
    expected = get_state_dict(model)
    saved = load_untrusted_checkpoint(path).get('state_dict', {})
    distiller = unwrap_model(model)
    if isinstance(distiller, BaseDistiller):
        version = (getattr(saved, '_metadata', None) or {}).get(
            '', {}).get('version')
        saved = dict(saved)
        distiller.upgrade_state_dict(saved, version=version)
    missing = [k for k in expected if k not in saved]
    unexpected = [k for k in saved if k not in expected]
    # packed ``_extra_state`` (a pool, a synthesizer's side state) grows
    # with what it holds: only weights have a fixed shape
    shapes = [
        f'{k}: {tuple(saved[k].shape)} vs {tuple(v.shape)}'
        for k, v in expected.items() if k in saved
        and not k.endswith('_extra_state') and hasattr(v, 'shape')
        and hasattr(saved[k], 'shape')
        and tuple(saved[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        raise CheckpointMismatchError(
            f'{path} does not fit the model of the config: '
            f'{len(missing)} missing keys (e.g. {missing[:3]}), '
            f'{len(unexpected)} unexpected keys (e.g. {unexpected[:3]}), '
            f'{len(shapes)} shape mismatches (checkpoint vs model, e.g. '
            f'{shapes[:2]}). Resume with the configuration it was written '
            'with, or start a new run in another work dir.')
