"""A new run never overwrites an earlier one silently.

MMEngine writes a run's checkpoints and ``last_checkpoint`` into the work
dir itself, and mmdfkd its exports (``student/``, ``teacher.pth``). A second
run started there replaces them one by one (e.g. ``last_checkpoint`` moves
back to the new run's first checkpoint, the export is replaced at its end).
:func:`check_work_dir` refuses such a start unless asked to replace the
earlier run.
"""
import glob
import os
import os.path as osp
from typing import List

__all__ = [
    'WorkDirInUseError', 'bind_pool_root', 'check_work_dir', 'earlier_run'
]

class WorkDirInUseError(FileExistsError):
    """The work dir holds another run's checkpoints or export."""


def earlier_run(work_dir: str) -> List[str]:
    """What of an earlier run ``work_dir`` holds: ``last_checkpoint``, the
    checkpoints (``*.pth``) and the exports (``teacher.pth``,
    ``<folder>/student.pth``), sorted."""
    if not osp.isdir(work_dir):
        return []
    found = glob.glob(osp.join(work_dir, '*.pth'))
    marker = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        found.append(marker)
    found += glob.glob(osp.join(work_dir, '*', 'student.pth'))
    return sorted(found)


def _remove(paths: List[str]) -> None:
    for path in paths:
        if osp.basename(path) == 'student.pth':
            # the export's config goes with its weights
            config = osp.join(osp.dirname(path), 'student_config.py')
            if osp.isfile(config):
                os.remove(config)
        if osp.exists(path):
            os.remove(path)


def check_work_dir(work_dir: str,
                   resume: bool = False,
                   overwrite: bool = False,
                   remove: bool = True) -> List[str]:
    """Refuse a new run in a work dir that holds an earlier run.

    Args:
        work_dir (str): The run's work dir.
        resume (bool): The run continues the one in ``work_dir``
            (``--resume``): nothing to check. Defaults to False.
        overwrite (bool): Replace the earlier run (``--overwrite``): its
            checkpoints, ``last_checkpoint`` and exports are deleted first;
            logs stay. Defaults to False.
        remove (bool): Whether this process deletes them with
            ``overwrite`` (only one process of a distributed run should).
            Defaults to True.

    Returns:
        list[str]: What was deleted (empty when nothing was there).

    Raises:
        WorkDirInUseError: ``work_dir`` holds an earlier run and neither
            ``resume`` nor ``overwrite`` is set.
    """
    if resume:
        return []
    found = earlier_run(work_dir)
    if not found:
        return []
    if not overwrite:
        shown = ', '.join(osp.relpath(p, work_dir) for p in found[:6])
        more = f' and {len(found) - 6} more' if len(found) > 6 else ''
        raise WorkDirInUseError(
            f'{work_dir} holds an earlier run ({shown}{more}); a new run '
            'there would overwrite its checkpoints and export. Continue it '
            'with --resume, start the new run in another --work-dir, or '
            'pass --overwrite to delete the earlier run\'s checkpoints and '
            'export first.')
    if remove:
        _remove(found)
    return found


def bind_pool_root(cfg) -> None:
    """A ``DiskPool`` without ``root`` keeps its shards in
    ``<work_dir>/pool``: set it in ``cfg`` (after ``cfg.work_dir`` is
    final). The shards are never deleted by ``--overwrite``; a fresh run
    refuses a pool folder that holds shards (``DiskPool``)."""
    model = cfg.get('model') or {}
    synthesizer = model.get('synthesizer') if hasattr(model, 'get') else None
    pool = (synthesizer.get('pool')
            if hasattr(synthesizer, 'get') else None)
    if (hasattr(pool, 'get')
            and str(pool.get('type', '')).split('.')[-1] == 'DiskPool'
            and pool.get('root') is None):
        pool['root'] = osp.join(cfg.work_dir, 'pool')
