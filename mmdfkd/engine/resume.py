import os.path as osp


def check_resumable(work_dir: str) -> None:
    """Fail early when ``--resume`` finds nothing to resume from, instead
    of MMEngine's silent fresh start."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'--resume: no checkpoint in {work_dir!r} (no `last_checkpoint` '
            'file). Drop --resume to start a new run, or point --work-dir at '
            'the run to continue.')
    with open(marker) as f:
        ckpt = f.read().strip()
    if not osp.isfile(ckpt):
        raise FileNotFoundError(
            f'--resume: {marker} names {ckpt!r}, which does not exist')
