import numpy as np
import pytest
import torch

from mmdfkd.datasets import DigitsDataset
from mmdfkd.registry import DATASETS

SPLITS = ('train', 'val', 'test')


@pytest.fixture(scope='module')
def datasets():
    return {split: DigitsDataset(split=split) for split in SPLITS}


def _indices(ds):
    return np.array(
        [ds.get_data_info(i)['digits_idx'] for i in range(len(ds))])


def test_split_sizes_add_up(datasets):
    sizes = {split: len(ds) for split, ds in datasets.items()}
    assert sum(sizes.values()) == 1797
    assert sizes == dict(train=1068, val=189, test=540)
    # test is 30 % of all, val 15 % of the rest
    assert sizes['test'] == pytest.approx(0.3 * 1797, abs=1)
    assert sizes['val'] == pytest.approx(0.15 * (1797 - 540), abs=1)


def test_splits_disjoint_and_cover_everything(datasets):
    idx = {split: _indices(ds) for split, ds in datasets.items()}
    for split in SPLITS:
        assert len(np.unique(idx[split])) == len(idx[split])
    assert not set(idx['train']) & set(idx['val'])
    assert not set(idx['train']) & set(idx['test'])
    assert not set(idx['val']) & set(idx['test'])
    union = np.concatenate(list(idx.values()))
    assert np.array_equal(np.sort(union), np.arange(1797))


def test_splits_stratified(datasets):
    from sklearn.datasets import load_digits
    overall = np.bincount(load_digits().target, minlength=10) / 1797
    for split, ds in datasets.items():
        labels = ds.get_gt_labels()
        assert set(labels.tolist()) == set(range(10))
        frac = np.bincount(labels, minlength=10) / len(labels)
        # stratification keeps every class within ~1 image of its share
        assert np.abs(frac - overall).max() < 1.5 / len(labels) + 1e-9, split


def test_labels_match_sklearn(datasets):
    from sklearn.datasets import load_digits
    digits = load_digits()
    ds = datasets['val']
    for i in range(0, len(ds), 17):
        info = ds.get_data_info(i)
        assert info['gt_label'] == digits.target[info['digits_idx']]
        expected = np.rint(digits.images[info['digits_idx']] * 255 / 16)
        np.testing.assert_array_equal(info['img'][..., 0], expected)


def test_images_uint8_8x8x1(datasets):
    ds = datasets['train']
    imgs = np.stack([ds[i]['img'] for i in range(len(ds))])
    assert imgs.dtype == np.uint8
    assert imgs.shape == (len(ds), 8, 8, 1)
    assert imgs.min() == 0 and imgs.max() == 255
    assert isinstance(ds[0]['gt_label'], int)


def test_train_mean_std_match_configs(datasets):
    # the values written into configs/_base_/models/digits_*.py
    imgs = np.stack([
        datasets['train'].get_data_info(i)['img']
        for i in range(len(datasets['train']))
    ]).astype(np.float64)
    assert imgs.mean() == pytest.approx(78.04, abs=0.01)
    assert imgs.std() == pytest.approx(95.94, abs=0.01)


def test_metainfo(datasets):
    ds = datasets['test']
    assert ds.metainfo['classes'] == tuple(str(i) for i in range(10))
    assert ds.CLASSES == tuple(str(i) for i in range(10))


def test_deterministic_across_instantiations(datasets):
    for split in SPLITS:
        other = DigitsDataset(split=split)
        assert np.array_equal(_indices(other), _indices(datasets[split]))
        assert np.array_equal(other.get_gt_labels(),
                              datasets[split].get_gt_labels())
        a = other.get_data_info(5)['img']
        b = datasets[split].get_data_info(5)['img']
        np.testing.assert_array_equal(a, b)


def test_invalid_split():
    with pytest.raises(ValueError):
        DigitsDataset(split='training')


def test_pipeline_output_shapes():
    ds = DATASETS.build(
        dict(
            type='DigitsDataset',
            split='test',
            test_mode=True,
            pipeline=[dict(type='mmpretrain.PackInputs')]))
    out = ds[0]
    inputs, sample = out['inputs'], out['data_samples']
    assert isinstance(inputs, torch.Tensor)
    assert inputs.shape == (1, 8, 8)
    assert inputs.dtype == torch.uint8
    raw = ds.get_data_info(0)
    assert torch.equal(inputs[0], torch.from_numpy(raw['img'][..., 0]))
    assert sample.gt_label.tolist() == [raw['gt_label']]


def test_train_pipeline_random_shift():
    ds = DATASETS.build(
        dict(
            type='DigitsDataset',
            split='train',
            pipeline=[
                dict(type='mmpretrain.RandomCrop', crop_size=8, padding=1),
                dict(type='mmpretrain.PackInputs')
            ]))
    np.random.seed(0)
    raw = torch.from_numpy(ds.get_data_info(3)['img'][..., 0]).int()
    outs = [ds[3]['inputs'] for _ in range(20)]
    for out in outs:
        assert out.shape == (1, 8, 8) and out.dtype == torch.uint8
        # a shift by at most one pixel: some (dy, dx) in -1..1 reproduces it
        img = out[0].int()
        padded = torch.nn.functional.pad(raw, (1, 1, 1, 1))
        assert any(
            torch.equal(img, padded[1 + dy:9 + dy, 1 + dx:9 + dx])
            for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert any(not torch.equal(outs[0], o) for o in outs[1:])


def test_dataloader_with_cls_preprocessor():
    from mmengine.dataset import pseudo_collate
    from mmpretrain.models import ClsDataPreprocessor
    ds = DigitsDataset(
        split='val', pipeline=[dict(type='mmpretrain.PackInputs')])
    batch = pseudo_collate([ds[i] for i in range(4)])
    pre = ClsDataPreprocessor(
        mean=[78.04], std=[95.94], to_rgb=False, num_classes=10)
    data = pre(batch)
    assert data['inputs'].shape == (4, 1, 8, 8)
    assert data['inputs'].dtype == torch.float32
