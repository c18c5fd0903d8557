import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DATASETS as ROOT_DATASETS
from mmengine.registry import DefaultScope

from mmdfkd.datasets import CamVidDataset
from mmdfkd.datasets.camvid import CAMVID_CLASSES, CAMVID_PALETTE
from tests.data_writers import write_camvid

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]


def test_metainfo():
    meta = CamVidDataset.METAINFO
    assert meta['classes'] == (
        'Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree', 'SignSymbol',
        'Fence', 'Car', 'Pedestrian', 'Bicyclist')
    assert len(meta['palette']) == 11
    assert meta['palette'][0] == [128, 128, 128]  # Sky
    assert meta['palette'][3] == [128, 64, 128]  # Road


def test_loads_through_mmseg_pipeline(tmp_path):
    root = write_camvid(tmp_path, labels=[0, 3, 10])
    ds = CamVidDataset(data_root=root, split='train', pipeline=PIPELINE)
    assert len(ds) == 3
    # sorted by file name: a (label 3), b (0), c (10)
    names = [osp.basename(ds.get_data_info(i)['img_path']) for i in range(3)]
    assert names == ['a.png', 'b.png', 'c.png']
    assert ds.metainfo['classes'] == CAMVID_CLASSES
    for i, cls in enumerate([3, 0, 10]):
        out = ds[i]
        assert out['inputs'].shape == (3, 6, 8)
        seg = out['data_samples'].gt_sem_seg.data.numpy()[0]
        expected = np.full((6, 8), cls)
        expected[0, 0] = 255  # void -> ignore
        np.testing.assert_array_equal(seg, expected)


def test_class_subset_keeps_void_ignored(tmp_path):
    root = write_camvid(tmp_path, labels=[1, 8, 3])
    ds = CamVidDataset(
        data_root=root,
        metainfo=dict(classes=('Road', 'Car')),
        pipeline=PIPELINE)
    assert ds.metainfo['palette'] == [CAMVID_PALETTE[3], CAMVID_PALETTE[8]]
    # sorted: a is Car -> 1, b Building -> 255, c Road -> 0; void stays 255
    for i, cls in enumerate([1, 255, 0]):
        seg = ds[i]['data_samples'].gt_sem_seg.data.numpy()[0]
        assert seg[0, 0] == 255
        assert (seg.ravel()[1:] == cls).all()


@pytest.mark.parametrize('scope', ['mmdfkd', 'mmseg'])
def test_bare_type_resolves_in_both_scopes(tmp_path, scope):
    root = write_camvid(tmp_path)
    with DefaultScope.overwrite_default_scope(scope):
        ds = ROOT_DATASETS.build(
            dict(type='CamVidDataset', data_root=root, split='train'))
    assert type(ds) is CamVidDataset and len(ds) == 3


def test_splits_use_their_folders(tmp_path):
    write_camvid(tmp_path, 'train', names=('t1', 't2'))
    write_camvid(tmp_path, 'val', names=('v1', ))
    write_camvid(tmp_path, 'test', names=('x1', 'x2', 'x3', 'x4'))
    sizes = {
        s: len(CamVidDataset(data_root=str(tmp_path), split=s))
        for s in ('train', 'val', 'test')
    }
    assert sizes == dict(train=2, val=1, test=4)


def test_relative_data_root(tmp_path, monkeypatch):
    """Configs ship relative roots ('data/camvid'): mmseg joins the folders
    with the root once, and the layout check must not join them again."""
    write_camvid(tmp_path / 'data' / 'camvid', names=('a', 'b'))
    monkeypatch.chdir(tmp_path)
    ds = CamVidDataset(data_root='data/camvid', pipeline=PIPELINE)
    assert len(ds) == 2
    assert ds[0]['inputs'].shape == (3, 6, 8)


def test_image_without_label(tmp_path):
    root = write_camvid(tmp_path)
    os.remove(osp.join(root, 'trainannot', 'b.png'))
    with pytest.raises(FileNotFoundError,
                       match=r"1 image\(s\) have no label.*train/b\.png"):
        CamVidDataset(data_root=root)


def test_label_without_image(tmp_path):
    root = write_camvid(tmp_path)
    os.remove(osp.join(root, 'train', 'c.png'))
    with pytest.raises(FileNotFoundError,
                       match=r"label file\(s\) have no image.*annot/c\.png"):
        CamVidDataset(data_root=root)


def test_missing_annot_folder_names_layout_and_converter(tmp_path):
    root = write_camvid(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        CamVidDataset(data_root=root, split='val')
    msg = str(err.value)
    assert 'valannot' in msg and "'" + osp.join(root, 'val') in msg
    assert 'SegNet CamVid layout' in msg
    assert 'tools/dataset_converters/street_scenes.py' in msg


@pytest.mark.parametrize('bad', [12, 200])
def test_label_out_of_range(tmp_path, bad):
    root = write_camvid(tmp_path, labels=[0, bad, 2])
    with pytest.raises(ValueError,
                       match=rf"a\.png.*value\(s\) \[{bad}\].*0\.\.10 and "
                       r'11 for void'):
        CamVidDataset(data_root=root)
    # the scan can be skipped
    assert len(CamVidDataset(data_root=root, check_labels=False)) == 3


def test_colour_label_rejected(tmp_path):
    root = write_camvid(tmp_path)
    cv2.imwrite(
        osp.join(root, 'trainannot', 'a.png'),
        np.zeros((6, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r'a\.png.*not a colour-coded'):
        CamVidDataset(data_root=root)


def test_bad_arguments(tmp_path):
    root = write_camvid(tmp_path)
    with pytest.raises(ValueError, match='split must be one of'):
        CamVidDataset(data_root=root, split='training')
    with pytest.raises(ValueError, match="no 'data_prefix'"):
        CamVidDataset(data_root=root, data_prefix=dict(img_path='x'))
