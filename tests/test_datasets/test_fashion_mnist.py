"""FashionMNISTDataset on tiny IDX files written in the official layout."""
import gzip
import os
import subprocess

import numpy as np
import pytest

from mmdfkd.datasets import FashionMNISTDataset
from mmdfkd.datasets.fashion_mnist import (fashion_mnist_split_indices,
                                           load_fashion_mnist, read_idx,
                                           write_idx)
from mmdfkd.engine.preflight import check_data_roots
from mmengine.config import Config
from tests.conftest import ROOT
from tests.fashion_mnist_data import write_fashion_mnist


@pytest.mark.parametrize('gz', [True, False])
def test_reads_official_layout_gzipped_or_not(tmp_path, gz):
    root = write_fashion_mnist(str(tmp_path), gz=gz)
    images, labels = load_fashion_mnist(root, 'train')
    assert images.shape == (48, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, np.arange(48) % 10)
    ds = FashionMNISTDataset(data_root=root, split='test')
    assert len(ds) == 20
    info = ds.get_data_info(3)
    assert info['img'].shape == (28, 28, 1) and info['gt_label'] == 3
    test_images, _ = load_fashion_mnist(root, 'test')
    np.testing.assert_array_equal(info['img'][..., 0], test_images[3])


def test_val_is_stratified_disjoint_and_fixed(tmp_path):
    root = write_fashion_mnist(str(tmp_path), n_train=120)
    train = FashionMNISTDataset(data_root=root, split='train')
    val = FashionMNISTDataset(data_root=root, split='val')
    trainval = FashionMNISTDataset(data_root=root, split='trainval')
    assert len(val) == 10 and len(train) == 110 and len(trainval) == 120
    assert sorted(val.get_data_info(i)['gt_label']
                  for i in range(len(val))) == list(range(10))
    _, labels = load_fashion_mnist(root, 'train')
    split = fashion_mnist_split_indices(labels)
    assert not set(split['train']) & set(split['val'])
    again = fashion_mnist_split_indices(labels)
    np.testing.assert_array_equal(split['val'], again['val'])


def test_full_size_val_has_500_per_class():
    labels = np.repeat(np.arange(10), 6000)
    val = fashion_mnist_split_indices(labels)['val']
    assert len(val) == 5000
    np.testing.assert_array_equal(np.bincount(labels[val]), [500] * 10)


def test_missing_folder_names_folder_and_make_target(tmp_path):
    with pytest.raises(FileNotFoundError, match='make data-fashion-mnist'):
        FashionMNISTDataset(data_root=str(tmp_path / 'nope'))


def test_missing_file_names_expected_files(tmp_path):
    root = write_fashion_mnist(str(tmp_path))
    os.remove(os.path.join(root, 't10k-labels-idx1-ubyte.gz'))
    with pytest.raises(FileNotFoundError,
                       match='t10k-labels-idx1-ubyte.*make data-fashion'):
        FashionMNISTDataset(data_root=root, split='test')


def test_wrong_magic_number(tmp_path):
    root = write_fashion_mnist(str(tmp_path))
    # labels written where the images belong
    os.replace(os.path.join(root, 'train-labels-idx1-ubyte.gz'),
               os.path.join(root, 'train-images-idx3-ubyte.gz'))
    write_idx(os.path.join(root, 'train-labels-idx1-ubyte.gz'),
              np.zeros(48, np.uint8))
    with pytest.raises(ValueError, match='magic number'):
        FashionMNISTDataset(data_root=root)


def test_count_mismatch_between_images_and_labels(tmp_path):
    root = write_fashion_mnist(str(tmp_path))
    write_idx(os.path.join(root, 'train-labels-idx1-ubyte.gz'),
              np.zeros(47, np.uint8))
    with pytest.raises(ValueError, match='48 images but 47 labels'):
        FashionMNISTDataset(data_root=root)


def test_truncated_file(tmp_path):
    root = write_fashion_mnist(str(tmp_path), gz=False)
    path = os.path.join(root, 'train-images-idx3-ubyte')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:-100])
    with pytest.raises(ValueError, match='corrupt or incomplete'):
        read_idx(path, 'images')


def test_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / 'a-idx3-ubyte.gz')
    write_idx(path, array)
    with gzip.open(path, 'rb') as f:
        assert f.read(4) == b'\x00\x00\x08\x03'
    np.testing.assert_array_equal(read_idx(path, 'images'), array)


def test_preflight_names_the_make_target(tmp_path):
    cfg = Config(dict(val_dataloader=dict(dataset=dict(
        type='FashionMNISTDataset', data_root=str(tmp_path / 'missing')))))
    with pytest.raises(FileNotFoundError, match='make data-fashion-mnist'):
        check_data_roots(cfg)


def test_make_target_links_the_system_files(tmp_path):
    """The make target links the four files from the system folder (a
    stand-in folder here, never the package)."""
    system = write_fashion_mnist(str(tmp_path / 'system'))
    out = tmp_path / 'data'
    subprocess.run(
        ['make', '-s', '-C', ROOT, 'data-fashion-mnist',
         f'FMNIST_SYSTEM={system}', f'FMNIST_DIR={out}'],
        check=True, capture_output=True)
    ds = FashionMNISTDataset(data_root=str(out), split='test')
    assert len(ds) == 20
