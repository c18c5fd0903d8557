"""The FL config's data sets as tensors: digits, Fashion-MNIST (tiny IDX
files), bad data configs."""
import pytest
import torch

from mmdfkd.federated.data import load_labels, load_split


def test_fashion_mnist_splits_as_tensors(fashion_root):
    data = dict(type='fashion_mnist', root=fashion_root)
    train_x, train_y = load_split(data, 'train')
    val_x, val_y = load_split(data, 'val')
    test_x, test_y = load_split(data, 'test')
    # the fixed val split holds 1/12 of the official training part
    assert (len(train_y), len(val_y), len(test_y)) == (330, 30, 100)
    assert train_x.shape == (330, 1, 28, 28) and train_x.dtype == torch.float
    assert 0 <= train_x.min() and train_x.max() == 1.0
    assert test_y[:10].tolist() == list(range(10))
    # val is stratified: 3 images of every class
    assert torch.bincount(val_y).tolist() == [3] * 10


def test_digits_splits():
    images, labels = load_split(dict(type='digits'), 'val')
    assert images.shape == (189, 1, 8, 8) and len(labels) == 189


def test_bad_data_configs(tmp_path):
    with pytest.raises(ValueError, match='must be one of'):
        load_split(dict(type='mnist'), 'train')
    with pytest.raises(ValueError, match="takes \\('root',\\)"):
        load_split(dict(type='fashion_mnist', path='x'), 'train')
    with pytest.raises(ValueError, match='split must be one of'):
        load_split(dict(type='digits'), 'trainval')
    with pytest.raises(FileNotFoundError, match='make data-fashion-mnist'):
        load_split(dict(type='fashion_mnist', root=str(tmp_path)), 'train')


@pytest.mark.parametrize('kind', ['digits', 'fashion_mnist'])
def test_a_clients_share_alone_equals_the_split_indexed(kind, fashion_root):
    data = dict(type=kind)
    if kind == 'fashion_mnist':
        data['root'] = fashion_root
    images, labels = load_split(data, 'train')
    share = [5, 1, 17]
    part_x, part_y = load_split(data, 'train', indices=share)
    assert torch.equal(part_x, images[share])
    assert torch.equal(part_y, labels[share])
    assert load_labels(data, 'train').tolist() == labels.tolist()
