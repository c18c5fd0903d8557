"""Preflight checks: missing data folders, teacher weights and class-count
mismatches fail before the runner builds anything, naming the fix."""
import importlib.util
import os.path as osp
import sys

import pytest
from mmengine.config import Config
from mmengine.dataset import BaseDataset

from mmdfkd.engine.preflight import (check_class_counts, check_data_roots,
                                     check_teacher_checkpoint, preflight)
from mmdfkd.registry import DATASETS
from tests.conftest import ROOT


@DATASETS.register_module(force=True)
class PreflightToyDataset(BaseDataset):
    METAINFO = dict(classes=('a', 'b', 'c'))
    FIX = '`python make_toy.py <root>` writes it.'


def seg_teacher(num_classes):
    return dict(
        _scope_='mmseg',
        type='EncoderDecoder',
        backbone=dict(type='MobileNetV2'),
        decode_head=dict(type='ASPPHead', num_classes=num_classes))


def distill_cfg(tmp_path, **overrides):
    cfg = dict(
        default_scope='mmdfkd',
        model=dict(type='DataFreeDistiller', teacher=seg_teacher(3)),
        train_dataloader=dict(dataset=dict(type='LatentDataset')),
        val_dataloader=dict(
            dataset=dict(type='PreflightToyDataset', data_root=str(
                tmp_path))),
        test_dataloader=dict(
            dataset=dict(
                type='ConcatDataset',
                datasets=[
                    dict(type='PreflightToyDataset',
                         data_root=str(tmp_path))
                ])))
    cfg.update(overrides)
    return Config(cfg)


def test_existing_folders_pass(tmp_path):
    preflight(distill_cfg(tmp_path))


def test_missing_data_root_names_loader_folder_and_fix(tmp_path):
    missing = str(tmp_path / 'nowhere')
    cfg = distill_cfg(tmp_path)
    cfg.test_dataloader.dataset.datasets[0].data_root = missing
    with pytest.raises(FileNotFoundError) as info:
        check_data_roots(cfg)
    msg = str(info.value)
    assert 'test_dataloader' in msg and missing in msg
    assert 'python make_toy.py' in msg  # the dataset class's FIX


def test_datasets_that_download_are_left_alone(tmp_path):
    cfg = distill_cfg(tmp_path)
    cfg.val_dataloader.dataset = dict(
        type='mmpretrain.CIFAR10', data_root=str(tmp_path / 'cifar'))
    check_data_roots(cfg)  # mmpretrain's CIFAR10 downloads by default
    cfg.val_dataloader.dataset.download = False
    with pytest.raises(FileNotFoundError, match='cifar'):
        check_data_roots(cfg)


def test_missing_teacher_checkpoint_names_teacher_command(tmp_path):
    cfg = distill_cfg(
        tmp_path, teacher_config='configs/teachers/toy_teacher.py')
    cfg.model.teacher_ckpt = str(tmp_path / 'teacher.pth')
    with pytest.raises(FileNotFoundError) as info:
        check_teacher_checkpoint(cfg)
    assert 'python tools/train.py configs/teachers/toy_teacher.py' in str(
        info.value)
    (tmp_path / 'teacher.pth').write_bytes(b'')
    check_teacher_checkpoint(cfg)


@pytest.mark.parametrize('head', ['decode_head', 'head'])
def test_teacher_classes_must_match_the_dataset(tmp_path, head):
    cfg = distill_cfg(tmp_path)
    cfg.model.teacher = dict(type='X', **{head: dict(num_classes=5)})
    with pytest.raises(ValueError, match='teacher predicts 5 classes but '
                       "val_dataloader's PreflightToyDataset has 3"):
        check_class_counts(cfg)
    # a metainfo override of the classes counts too
    cfg.val_dataloader.dataset.metainfo = dict(classes=list('abcde'))
    cfg.test_dataloader = None
    check_class_counts(cfg)


def test_seg_configs_pass_class_check():
    """The shipped segmentation configs pair teachers and datasets of the
    same class count (NYUv2: 13, CamVid: 11)."""
    for name in ('ddad_deeplabv3_camvid.py', 'ddad_deeplabv3_nyuv2.py'):
        path = osp.join(ROOT, 'configs', name)
        if osp.isfile(path):
            check_class_counts(Config.fromfile(path))


def test_train_tool_stops_before_building(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_train_preflight', osp.join(ROOT, 'tools', 'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    built = []
    monkeypatch.setattr(train, 'train', lambda cfg: built.append(cfg))
    missing = str(tmp_path / 'camvid')
    monkeypatch.setattr(sys, 'argv', [
        'train.py', osp.join(ROOT, 'configs/dfad_digits.py'), '--work-dir',
        str(tmp_path / 'run'), '--cfg-options',
        f'val_dataloader.dataset.data_root={missing}'
    ])
    with pytest.raises(FileNotFoundError, match=missing):
        train.main()
    assert not built
