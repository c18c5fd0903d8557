"""MNIST through mmpretrain (files in the official IDX layout) and SVHN
through mmdfkd.SVHN (the official .mat layout), with tiny files."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmdfkd.registry import DATASETS
from tests.conftest import load_cfg
from tests.data_writers import write_idx, write_svhn


@pytest.fixture
def mnist_root(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n in (('train', 6), ('t10k', 4)):
        write_idx(tmp_path / f'{prefix}-images-idx3-ubyte',
                  rng.integers(0, 256, (n, 28, 28)))
        write_idx(tmp_path / f'{prefix}-labels-idx1-ubyte', np.arange(n))
    return tmp_path


def test_mnist_configs_load_the_idx_layout(mnist_root):
    cfg = load_cfg('configs/rdskd_lenet5_mnist.py')
    val = dict(cfg.val_dataloader.dataset, data_root=str(mnist_root),
               indices=5)
    test = dict(cfg.test_dataloader.dataset, data_root=str(mnist_root))
    val_set, test_set = DATASETS.build(val), DATASETS.build(test)
    # validation: the first training images; test: the t10k files
    assert len(val_set) == 5 and len(test_set) == 4
    batch = pseudo_collate([test_set[i] for i in range(4)])
    assert batch['inputs'][0].shape == (1, 28, 28)
    assert [int(s.gt_label) for s in batch['data_samples']] == [0, 1, 2, 3]


def test_svhn_reads_the_mat_layout(tmp_path):
    x, y = write_svhn(tmp_path / 'train_32x32.mat', 12, 0)
    write_svhn(tmp_path / 'test_32x32.mat', 3, 1)
    train = DATASETS.build(
        dict(type='SVHN', data_root=str(tmp_path), split='train'))
    assert len(train) == 12
    info = train.get_data_info(9)
    np.testing.assert_array_equal(info['img'], x[..., 9])
    assert info['gt_label'] == 0  # label 10 is the digit 0
    assert train.get_data_info(3)['gt_label'] == 4
    cfg = load_cfg('configs/rdskd_wrn40_2_wrn16_1_svhn.py')
    test = DATASETS.build(
        dict(cfg.test_dataloader.dataset, data_root=str(tmp_path)))
    sample = test[2]
    assert sample['inputs'].shape == (3, 32, 32)
    assert sample['inputs'].dtype == torch.uint8


def test_svhn_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match='split must be one of'):
        DATASETS.build(dict(type='SVHN', data_root=str(tmp_path),
                            split='val'))
    with pytest.raises(FileNotFoundError, match='train_32x32.mat'):
        DATASETS.build(dict(type='SVHN', data_root=str(tmp_path)))
