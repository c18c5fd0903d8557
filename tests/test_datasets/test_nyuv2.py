import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DATASETS as ROOT_DATASETS
from mmengine.registry import DefaultScope
from scipy.io import savemat

from mmdfkd.datasets import NYUv2Dataset
from mmdfkd.datasets.nyuv2 import NYUV2_CLASSES, nyuv2_split_indices
from tests.data_writers import NYUV2_TEST as TEST
from tests.data_writers import NYUV2_TRAIN as TRAIN
from tests.data_writers import write_nyuv2

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
def test_split_indices_of_the_real_sizes():
    rng = np.random.default_rng(123)
    perm = rng.permutation(np.arange(1, 1450))
    s = nyuv2_split_indices(perm[:795, None], perm[795:, None])
    assert len(s['val']) == 80 and len(s['train']) == 715
    assert len(s['test']) == 654 and len(s['trainval']) == 795
    assert not set(s['val']) & set(s['train'])
    assert not set(s['trainval']) & set(s['test'])
    np.testing.assert_array_equal(
        np.sort(np.concatenate([s['train'], s['val']])), s['trainval'])
    # deterministic, and independent of the order in splits.mat
    again = nyuv2_split_indices(perm[:795][::-1], perm[795:])
    np.testing.assert_array_equal(again['val'], s['val'])


@pytest.mark.parametrize('one_based', [False, True])
def test_loads_through_mmseg_pipeline(tmp_path, one_based):
    root = write_nyuv2(tmp_path, one_based_names=one_based)
    sizes = {
        s: len(NYUv2Dataset(data_root=root, split=s))
        for s in ('train', 'val', 'trainval', 'test')
    }
    # ceil(0.1 * 12) = 2 validation images carved out of train
    assert sizes == dict(train=10, val=2, trainval=12, test=6)
    ds = NYUv2Dataset(data_root=root, split='trainval', pipeline=PIPELINE)
    assert ds.metainfo['classes'] == NYUV2_CLASSES
    for k, i in enumerate(TRAIN):
        info = ds.get_data_info(k)
        assert info['nyu_index'] == i
        out = ds[k]
        # the image of 1-based index i is the one filled with i
        assert (out['inputs'] == i).all()
        seg = out['data_samples'].gt_sem_seg.data.numpy()[0]
        raw = i % 14
        # 0 (void) -> 255, 1..13 -> 0..12
        expected = np.full(seg.shape, 255 if raw == 0 else raw - 1)
        expected[0, 0] = 255
        np.testing.assert_array_equal(seg, expected)


def test_relative_data_root(tmp_path, monkeypatch):
    write_nyuv2(tmp_path / 'data' / 'nyuv2')
    monkeypatch.chdir(tmp_path)
    ds = NYUv2Dataset(data_root='data/nyuv2', split='test', pipeline=PIPELINE)
    assert len(ds) == len(TEST)
    assert (ds[0]['inputs'] == TEST[0]).all()


def test_val_is_part_of_official_train(tmp_path):
    root = write_nyuv2(tmp_path)
    val = NYUv2Dataset(data_root=root, split='val')
    train = NYUv2Dataset(data_root=root, split='train')
    val_idx = {val.get_data_info(i)['nyu_index'] for i in range(len(val))}
    train_idx = {
        train.get_data_info(i)['nyu_index']
        for i in range(len(train))
    }
    assert val_idx < set(TRAIN) and not val_idx & train_idx
    assert val_idx | train_idx == set(TRAIN)
    assert val_idx == set(nyuv2_split_indices(TRAIN, TEST)['val'].tolist())


@pytest.mark.parametrize('scope', ['mmdfkd', 'mmseg'])
def test_bare_type_resolves_in_both_scopes(tmp_path, scope):
    root = write_nyuv2(tmp_path)
    with DefaultScope.overwrite_default_scope(scope):
        ds = ROOT_DATASETS.build(
            dict(type='NYUv2Dataset', data_root=root, split='test'))
    assert type(ds) is NYUv2Dataset and len(ds) == 6


def test_image_without_label(tmp_path):
    root = write_nyuv2(tmp_path)
    os.remove(
        osp.join(root, 'nyuv2-meta-data', 'test_labels_13',
                 'new_nyu_class13_0007.png'))
    with pytest.raises(FileNotFoundError,
                       match=r"1 image\(s\) have no label.*'test'.*"
                       r'IMAGE/6\.png.*new_nyu_class13_0007\.png'):
        NYUv2Dataset(data_root=root, split='test')


def test_label_without_image(tmp_path):
    root = write_nyuv2(tmp_path)
    os.remove(osp.join(root, '480_640', 'IMAGE', '10.png'))  # index 11
    with pytest.raises(FileNotFoundError,
                       match=r"label file\(s\) have no image.*IMAGE/10\.png"):
        NYUv2Dataset(data_root=root, split='test')


def test_missing_meta_data_names_layout(tmp_path):
    root = write_nyuv2(tmp_path)
    os.remove(osp.join(root, 'nyuv2-meta-data', 'splits.mat'))
    with pytest.raises(FileNotFoundError,
                       match=r'splits\.mat.*does not exist.*'
                       r'480_640/IMAGE.*ankurhanda/nyuv2-meta-data'):
        NYUv2Dataset(data_root=root)
    with pytest.raises(FileNotFoundError,
                       match=r'missing folder.*480_640/IMAGE'):
        NYUv2Dataset(data_root=str(tmp_path / 'elsewhere'))


def test_splits_mat_without_test_indices(tmp_path):
    root = write_nyuv2(tmp_path)
    savemat(
        osp.join(root, 'nyuv2-meta-data', 'splits.mat'),
        dict(trainNdxs=np.array(TRAIN, np.float64)[:, None]))
    with pytest.raises(ValueError,
                       match=r"splits\.mat' has no 'testNdxs'.*trainNdxs"):
        NYUv2Dataset(data_root=root, split='test')


def test_unrecognised_image_names(tmp_path):
    root = write_nyuv2(tmp_path)
    img_dir = osp.join(root, '480_640', 'IMAGE')
    os.rename(osp.join(img_dir, '0.png'), osp.join(img_dir, 'first.png'))
    with pytest.raises(FileNotFoundError, match='neither 0.png.*nor 0001'):
        NYUv2Dataset(data_root=root)


def test_label_out_of_range(tmp_path):
    root = write_nyuv2(tmp_path)
    path = osp.join(root, 'nyuv2-meta-data', 'train_labels_13',
                    'new_nyu_class13_0005.png')
    cv2.imwrite(path, np.full((4, 6), 14, np.uint8))
    with pytest.raises(ValueError,
                       match=r'0005\.png.*value\(s\) \[14\].*1\.\.13'):
        NYUv2Dataset(data_root=root, split='trainval')
    assert len(
        NYUv2Dataset(data_root=root, split='trainval',
                     check_labels=False)) == 12


def test_bad_arguments(tmp_path):
    root = write_nyuv2(tmp_path)
    with pytest.raises(ValueError, match='split must be one of'):
        NYUv2Dataset(data_root=root, split='validation')
    with pytest.raises(ValueError, match="no 'reduce_zero_label'"):
        NYUv2Dataset(data_root=root, reduce_zero_label=False)
