"""tools/dataset_converters: command lines, run in-process."""
import os.path as osp
import runpy

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import DATASETS

from mmdfkd.datasets import CamVidDataset
from tests.conftest import ROOT


def test_cli_output_loads_with_base_config(tmp_path, monkeypatch, capsys):
    out = str(tmp_path / 'scenes')
    monkeypatch.setattr('sys.argv', [
        'street_scenes.py', out, '--num-train', '4', '--num-val', '3',
        '--num-test', '2', '--size', '48', '64'
    ])
    runpy.run_path(
        osp.join(ROOT, 'tools/dataset_converters/street_scenes.py'),
        run_name='__main__')
    assert "'train': 4" in capsys.readouterr().out
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/street_scenes.py'))
    sizes = {}
    for split in ('train', 'val', 'test'):
        ds_cfg = cfg[f'{split}_dataloader'].dataset
        ds_cfg.data_root = out
        ds = DATASETS.build(ds_cfg)
        assert isinstance(ds, CamVidDataset)
        sizes[split] = len(ds)
    assert sizes == dict(train=4, val=3, test=2)
    sample = ds[0]
    assert sample['inputs'].shape == (3, 48, 64)
    gt = sample['data_samples'].gt_sem_seg.data.numpy()[0]
    raw = cv2.imread(osp.join(out, 'testannot', 'scene_00000.png'), 0)
    np.testing.assert_array_equal(gt, np.where(raw == 11, 255, raw))
