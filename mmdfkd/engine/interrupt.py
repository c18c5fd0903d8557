"""What to tell the user when a run is interrupted (Ctrl-C, SIGINT).

An interrupt while MMEngine saves a checkpoint may arrive inside
``Config.pretty_text`` (laid out for each checkpoint unless the runner's
config is a :class:`~mmdfkd.engine.config_text.FormatOnceConfig` whose
text was laid out before), whose bare ``except`` turns it into
``SyntaxError: Failed to format the config file`` followed by the whole
config (hundreds of lines). :func:`was_interrupted` sees the
``KeyboardInterrupt`` behind it; :func:`interrupt_message` says what
happened and which checkpoint is intact.
"""
import glob
import os.path as osp
import traceback
from typing import List, Optional

__all__ = ['was_interrupted', 'interrupt_message']


def was_interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``KeyboardInterrupt`` or was raised while
    handling one (its ``__context__`` / ``__cause__`` chain)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _during_save(exc: BaseException) -> bool:
    """Whether a frame of the traceback is a checkpoint save."""
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f.name in ('save_checkpoint', '_save_checkpoint')
               for f in frames)


def _last_complete(work_dir: str) -> Optional[str]:
    """The checkpoint ``last_checkpoint`` names, if it is a file: MMEngine
    rewrites ``last_checkpoint`` only after a save completed."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if path and osp.isfile(path) else None


def _newer_checkpoints(work_dir: str, than: Optional[str]) -> List[str]:
    """``*.pth`` files of the work dir written after ``than`` (all of them
    when there is no complete checkpoint)."""
    limit = osp.getmtime(than) if than else float('-inf')
    return sorted(p for p in glob.glob(osp.join(work_dir, '*.pth'))
                  if osp.getmtime(p) > limit
                  and (than is None or not osp.samefile(p, than)))


def interrupt_message(exc: BaseException, work_dir: str) -> str:
    """A few lines on an interrupted run: whether a checkpoint save was cut
    off, the last complete checkpoint and how to continue from it.

    Args:
        exc (BaseException): What ended the run (see
            :func:`was_interrupted`).
        work_dir (str): The run's work dir.
    """
    intact = _last_complete(work_dir)
    lines = ['Training was interrupted'
             + (' while a checkpoint was being saved.'
                if _during_save(exc) else '.')]
    partial = _newer_checkpoints(work_dir, intact)
    if partial:
        lines.append('Possibly incomplete (written after the last complete '
                     'checkpoint; delete them): ' + ', '.join(partial))
    if intact:
        lines.append(f'The last complete checkpoint is {intact} (named by '
                     f'{osp.join(work_dir, "last_checkpoint")}). Continue '
                     f'from it with --resume --work-dir {work_dir}.')
    else:
        lines.append(f'No complete checkpoint in {work_dir}: the run starts '
                     'again from the beginning.')
    return '\n'.join(lines)
