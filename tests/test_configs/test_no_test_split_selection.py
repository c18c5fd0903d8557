"""No shipped config validates on a test split: validation (what a user
watches and what ``save_best`` would select on) reads a val split or
training images; the test split is for ``tools/test.py`` only."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import ROOT

CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                       recursive=True)
    if '_base_' not in osp.relpath(p, ROOT).split(osp.sep))


def datasets(ds):
    """A dataset config and the ones it wraps."""
    yield ds
    if isinstance(ds.get('dataset'), dict):
        yield from datasets(ds['dataset'])
    for inner in ds.get('datasets', []):
        yield from datasets(inner)


def reads_test_split(ds) -> bool:
    if ds.get('split') == 'test':
        return True
    # mmpretrain's MNIST-family datasets pick their files by test_mode
    if 'MNIST' in str(ds.get('type')) and 'split' not in ds:
        return bool(ds.get('test_mode'))
    return 'test' in str(ds.get('ann_file', '')).lower()


@pytest.mark.parametrize('config', CONFIGS)
def test_validation_never_reads_the_test_split(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    loader = cfg.get('val_dataloader')
    if not loader:
        return
    for ds in datasets(loader['dataset']):
        assert not reads_test_split(ds), (
            f'{config}: val_dataloader reads the test split ({ds})')
