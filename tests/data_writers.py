"""Tiny datasets in each dataset's real on-disk layout, for tests that run
shipped configs: one writer per dataset class, registered here.

A writer fills a folder with a few images of every split its dataset
reads, in the files and formats of the real release (CIFAR's python
pickles, MNIST's IDX files, SVHN's ``.mat`` files, CamVid's SegNet folders,
NYUv2's common layout, ImageNet's JPEG folders with mmpretrain's
``meta/<split>.txt``). :func:`prepare_tiny_data` points every dataset of a
config at such a folder. A dataset class without a writer fails the test
with a message saying where to add one; to cover a new dataset, register a
writer below::

    @register_writer('MNIST')
    def _mnist(root, monkeypatch):
        write_idx_split(root)
"""
import gzip
import os
import os.path as osp
import pickle
import struct
from typing import Callable, Dict, Iterator, Optional, Tuple

import cv2
import numpy as np
from mmengine.registry import DATASETS

import mmdfkd  # noqa: F401  (registers its datasets)
from tests.fashion_mnist_data import write_fashion_mnist

#: ``writer(root, monkeypatch)``: fill ``root`` (an empty folder) with a tiny
#: copy of the dataset; None for datasets that read no files.
Writer = Optional[Callable[[str, object], None]]

#: Dataset class name → writer.
WRITERS: Dict[str, Writer] = {}

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def register_writer(*names: str, files: bool = True):
    """Register the decorated function as the writer of the dataset
    classes ``names``; ``files=False`` registers datasets that read no
    files (it decorates nothing then)."""
    if not files:
        for name in names:
            WRITERS[name] = None
        return None

    def wrap(fn):
        for name in names:
            WRITERS[name] = fn
        return fn

    return wrap


register_writer('LatentDataset', 'DigitsDataset', files=False)


# ---------------------------------------------------------------- formats
def write_idx(path, array: np.ndarray, gz: bool = False) -> None:
    """An IDX file (big-endian header, uint8 payload), gzipped if ``gz``
    (then ``.gz`` is appended to ``path``)."""
    path = os.fspath(path)
    magic = 0x0800 + array.ndim  # 0x08: unsigned byte
    data = (struct.pack('>i', magic) +
            struct.pack(f'>{array.ndim}i', *array.shape) +
            array.astype(np.uint8).tobytes())
    if gz:
        with gzip.open(path + '.gz', 'wb') as f:
            f.write(data)
    else:
        with open(path, 'wb') as f:
            f.write(data)


def write_idx_split(root: str, sizes=(('train', 8), ('t10k', 4)),
                    gz: bool = False, seed: int = 0) -> None:
    """MNIST's four IDX files (28×28 images, labels 0..9 in turn)."""
    rng = np.random.default_rng(seed)
    for prefix, n in sizes:
        write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'),
                  rng.integers(0, 256, (n, 28, 28)), gz)
        write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'),
                  np.arange(n) % 10, gz)


def write_svhn(path: str, n: int, seed: int) -> Tuple[np.ndarray,
                                                        np.ndarray]:
    """One SVHN "cropped digits" file: X 32×32×3×N uint8, y N×1 in 1..10
    (10 is the digit 0)."""
    from scipy.io import savemat
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (32, 32, 3, n)).astype(np.uint8)
    y = (np.arange(n) % 10 + 1).reshape(n, 1).astype(np.uint8)
    savemat(str(path), dict(X=x, y=y))
    return x, y


def write_camvid(root, split='train', names=('b', 'a', 'c'), h=6, w=8,
                 labels=None) -> str:
    """A tiny CamVid in the SegNet layout; label of image i is filled with
    ``labels[i]`` (default: i), with its top-left pixel void (11)."""
    os.makedirs(osp.join(root, split), exist_ok=True)
    os.makedirs(osp.join(root, split + 'annot'), exist_ok=True)
    for i, name in enumerate(names):
        img = np.full((h, w, 3), 10 * i, np.uint8)
        label = np.full((h, w), i if labels is None else labels[i], np.uint8)
        label[0, 0] = 11
        cv2.imwrite(osp.join(root, split, name + '.png'), img)
        cv2.imwrite(osp.join(root, split + 'annot', name + '.png'), label)
    return str(root)


#: 1-based NYUv2 image indices of the tiny official splits (12 + 6).
NYUV2_TRAIN = [1, 2, 5, 6, 8, 9, 10, 12, 13, 15, 17, 18]
NYUV2_TEST = [3, 4, 7, 11, 14, 16]


def write_nyuv2(root, one_based_names=False, h=4, w=6) -> str:
    """A tiny NYUv2 in the common layout: image i is filled with i, its
    label with ``i % 14`` (0 = void) and its top-left pixel is void."""
    from scipy.io import savemat
    root = str(root)
    img_dir = osp.join(root, '480_640', 'IMAGE')
    meta = osp.join(root, 'nyuv2-meta-data')
    os.makedirs(img_dir)
    for split, idxs in (('train', NYUV2_TRAIN), ('test', NYUV2_TEST)):
        os.makedirs(osp.join(meta, f'{split}_labels_13'))
        for i in idxs:
            name = f'{i:04d}.png' if one_based_names else f'{i - 1}.png'
            cv2.imwrite(
                osp.join(img_dir, name), np.full((h, w, 3), i, np.uint8))
            label = np.full((h, w), i % 14, np.uint8)
            label[0, 0] = 0
            cv2.imwrite(
                osp.join(meta, f'{split}_labels_13',
                         f'new_nyu_class13_{i:04d}.png'), label)
    # MATLAB keeps them as column vectors
    savemat(
        osp.join(meta, 'splits.mat'),
        dict(
            trainNdxs=np.array(NYUV2_TRAIN, np.float64)[:, None],
            testNdxs=np.array(NYUV2_TEST, np.float64)[:, None]))
    return root


def _write_cifar_batch(path: str, n: int, rng, label_key: str,
                       num_classes: int) -> None:
    entry = {
        'data': rng.integers(0, 256, (n, 3 * 32 * 32)).astype(np.uint8),
        label_key: [i % num_classes for i in range(n)],
    }
    with open(path, 'wb') as f:
        pickle.dump(entry, f)


def _skip_cifar_md5(monkeypatch) -> None:
    # mmpretrain checks the md5 of the official files, which tiny copies
    # cannot match; everything else of its loading runs as usual.
    monkeypatch.setattr('mmpretrain.datasets.cifar.check_md5',
                        lambda *args, **kwargs: True)


# ---------------------------------------------------------------- writers
#: Segmentation images (h, w): small enough for a ResNet-50-D8 on CPUs.
SEG_HW = (24, 32)


@register_writer('CIFAR10')
def _cifar10(root: str, monkeypatch) -> None:
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    for i in range(1, 6):
        _write_cifar_batch(osp.join(folder, f'data_batch_{i}'), 2, rng,
                           'labels', 10)
    _write_cifar_batch(osp.join(folder, 'test_batch'), 4, rng, 'labels', 10)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({'label_names': [str(i) for i in range(10)]}, f)
    _skip_cifar_md5(monkeypatch)


@register_writer('CIFAR100')
def _cifar100(root: str, monkeypatch) -> None:
    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    _write_cifar_batch(osp.join(folder, 'train'), 8, rng, 'fine_labels', 100)
    _write_cifar_batch(osp.join(folder, 'test'), 4, rng, 'fine_labels', 100)
    with open(osp.join(folder, 'meta'), 'wb') as f:
        pickle.dump({'fine_label_names': [str(i) for i in range(100)]}, f)
    _skip_cifar_md5(monkeypatch)


@register_writer('MNIST')
def _mnist(root: str, monkeypatch) -> None:
    write_idx_split(root)


@register_writer('FashionMNISTDataset')
def _fashion_mnist(root: str, monkeypatch) -> None:
    write_fashion_mnist(root, n_train=24, n_test=8)


@register_writer('SVHN')
def _svhn(root: str, monkeypatch) -> None:
    write_svhn(osp.join(root, 'train_32x32.mat'), 8, 0)
    write_svhn(osp.join(root, 'test_32x32.mat'), 4, 1)


@register_writer('CamVidDataset')
def _camvid(root: str, monkeypatch) -> None:
    h, w = SEG_HW
    for split in ('train', 'val', 'test'):
        write_camvid(root, split, names=('a', 'b', 'c'), h=h, w=w)


@register_writer('NYUv2Dataset')
def _nyuv2(root: str, monkeypatch) -> None:
    h, w = SEG_HW
    write_nyuv2(root, h=h, w=w)


#: ImageNet's first class folders (WordNet ids) and their indices.
IMAGENET_CLASSES = (('n01440764', 0), ('n01443537', 1), ('n15075141', 999))


def write_imagenet(root, n_val: int = 4, h: int = 40, w: int = 48,
                   seed: int = 0) -> str:
    """A tiny ImageNet-1k in mmpretrain's layout: ``train/<wnid>/*.JPEG``
    (one image per class of :data:`IMAGENET_CLASSES`), ``val/*.JPEG`` (the
    official flat val folder) and ``meta/{train,val}.txt`` ("<path> <class
    index>" a line, as mmpretrain.ImageNet reads them). Images are random
    ``h × w`` JPEGs (not square: the val pipeline resizes the short
    edge)."""
    rng = np.random.default_rng(seed)
    root = str(root)
    os.makedirs(osp.join(root, 'meta'))

    def image(path: str) -> None:
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, rng.integers(0, 256, (h, w, 3)).astype(np.uint8))

    lines = []
    for wnid, index in IMAGENET_CLASSES:
        name = f'{wnid}/{wnid}_{index + 1}.JPEG'
        image(osp.join(root, 'train', name))
        lines.append(f'{name} {index}')
    with open(osp.join(root, 'meta', 'train.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    lines = []
    for i in range(n_val):
        name = f'ILSVRC2012_val_{i + 1:08d}.JPEG'
        image(osp.join(root, 'val', name))
        lines.append(f'{name} {IMAGENET_CLASSES[i % 3][1]}')
    with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return root


@register_writer('ImageNet')
def _imagenet(root: str, monkeypatch) -> None:
    write_imagenet(root)


# ------------------------------------------------------------ configs
def iter_datasets(cfg) -> Iterator[dict]:
    """Every dataset config of the config's dataloaders, wrappers
    (``dataset`` / ``datasets``) unfolded."""
    for key in LOADERS:
        loader = cfg.get(key)
        if not loader or 'dataset' not in loader:
            continue
        stack = [loader['dataset']]
        while stack:
            ds = stack.pop()
            yield ds
            if isinstance(ds.get('dataset'), dict):
                stack.append(ds['dataset'])
            stack.extend(d for d in ds.get('datasets', [])
                         if isinstance(d, dict))


def dataset_class(cfg, ds: dict) -> type:
    """The class a dataset config builds, under the config's scope."""
    dtype = ds['type']
    if isinstance(dtype, type):
        return dtype
    with DATASETS.switch_scope_and_registry(
            cfg.get('default_scope') or 'mmdfkd') as registry:
        cls = registry.get(dtype)
    if cls is None:
        raise KeyError(f'dataset type {dtype!r} is not registered')
    return cls


def prepare_tiny_data(cfg, root: str, monkeypatch) -> None:
    """Write a tiny copy of every dataset ``cfg`` reads under ``root`` and
    point the config's ``data_root`` entries at them.

    Raises:
        KeyError: for a dataset class without a registered writer.
    """
    written: Dict[Tuple[str, str], str] = {}
    for ds in iter_datasets(cfg):
        if 'type' not in ds:
            continue  # a wrapper's inner config merged elsewhere
        name = dataset_class(cfg, ds).__name__
        if name not in WRITERS:
            raise KeyError(
                f'no tiny-data writer for the dataset class {name}: register '
                'one in tests/data_writers.py (@register_writer)')
        writer = WRITERS[name]
        if writer is None:
            continue
        key = (name, str(ds.get('data_root')))
        if key not in written:
            folder = osp.join(root, f'{name}_{len(written)}')
            os.makedirs(folder)
            writer(folder, monkeypatch)
            written[key] = folder
        ds['data_root'] = written[key]
