"""The CamVid / NYUv2 dataset and R50-D8 teacher configs load and train
(one iteration on a tiny fake dataset, no pretrained download)."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from tests.conftest import ROOT
from tests.test_datasets.test_camvid import write_camvid
from tests.test_datasets.test_nyuv2 import write_nyuv2


def _shrink(cfg, data_root, size):
    """Point every loader at ``data_root`` and make the crops ``size``
    (h, w), so that one R50-D8 iteration takes seconds on a CPU."""
    h, w = size
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = data_root
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = 2
    for t in cfg.train_dataloader.dataset.pipeline:
        if t.type == 'RandomResize':
            t.scale = (w, h)
        if t.type == 'mmseg.RandomCrop':
            t.crop_size = (h, w)
    cfg.model.data_preprocessor.size = (h, w)


@pytest.mark.parametrize('name,num_classes,split_names', [
    ('camvid', 11, ('train', 'val', 'test')),
    ('nyuv2', 13, ('train', 'val', 'test')),
])
def test_r50_teacher_config_trains_one_iteration(tmp_path, name,
                                                 num_classes, split_names):
    root = str(tmp_path / name)
    if name == 'camvid':
        for split in split_names:
            write_camvid(root, split, names=('a', 'b', 'c'), h=24, w=32)
    else:
        write_nyuv2(root, h=24, w=32)
    cfg = Config.fromfile(
        osp.join(ROOT, f'configs/teachers/deeplabv3_r50-d8_{name}.py'))
    assert cfg.default_scope == 'mmseg'
    assert cfg.train_dataloader.dataset.type == (
        'mmdfkd.CamVidDataset' if name == 'camvid' else 'mmdfkd.NYUv2Dataset')
    assert [cfg[f'{s}_dataloader'].dataset.split
            for s in split_names] == list(split_names)
    assert cfg.model.backbone.depth == 50
    _shrink(cfg, root, (24, 32))
    cfg.model.pretrained = None  # no ImageNet download in tests
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_interval = 1
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert model.decode_head.num_classes == num_classes
    assert model.auxiliary_head.num_classes == num_classes
    norms = [m for m in model.modules() if isinstance(m, nn.SyncBatchNorm)]
    assert not norms  # plain BN runs on CPU
    before = model.decode_head.conv_seg.weight.detach().clone()
    runner.train()
    assert runner.iter == 1
    assert not torch.equal(before, model.decode_head.conv_seg.weight)
    # the validation pass after the iteration produced an mIoU
    assert 'val/mIoU' in runner.message_hub.log_scalars


def test_mmseg_scoped_config_finds_bare_type_through_custom_imports(
        tmp_path):
    """In a fresh interpreter, importing mmdfkd only because the config's
    custom_imports says so registers CamVidDataset for mmseg's scope."""
    root = write_camvid(str(tmp_path / 'camvid'))
    cfg_file = tmp_path / 'mmseg_scoped.py'
    cfg_file.write_text(
        "default_scope = 'mmseg'\n"
        "custom_imports = dict(imports=['mmdfkd'])\n"
        f"dataset = dict(type='CamVidDataset', data_root={root!r})\n")
    script = (
        'import sys\n'
        'from mmengine.config import Config\n'
        'from mmengine.registry import DATASETS, DefaultScope\n'
        "assert 'mmdfkd' not in sys.modules\n"
        f'cfg = Config.fromfile({str(cfg_file)!r})\n'
        "with DefaultScope.overwrite_default_scope('mmseg'):\n"
        '    ds = DATASETS.build(cfg.dataset)\n'
        'print(type(ds).__module__, len(ds))\n')
    res = subprocess.run([sys.executable, '-c', script],
                         cwd=ROOT,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout
    assert 'mmdfkd.datasets.camvid 3' in res.stdout
