"""Fashion-MNIST (Xiao et al., 2017) read from the official IDX files."""
import gzip
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmdfkd.registry import DATASETS

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress',
                         'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                         'Ankle boot')
#: Part of the official release → (images file, labels file).
FASHION_MNIST_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
#: Where ``make data-fashion-mnist`` puts the files (configs read it).
DEFAULT_ROOT = 'data/fashion_mnist'
FIX = ('Run `make data-fashion-mnist` (it installs the Debian package '
       'dataset-fashion-mnist, whose files land in '
       '/usr/share/datasets/fashion-mnist/, and links them into '
       f'{DEFAULT_ROOT}).')

# The validation split is part of the dataset definition: changing these
# changes which training images are held out, so they are constants.
VAL_SIZE = 5000
VAL_SEED = 0

# IDX magic numbers: 0x0000 + type 0x08 (unsigned byte) + number of dims.
_MAGIC = {'images': 0x00000803, 'labels': 0x00000801}


def _idx_path(root: str, name: str) -> str:
    """The file ``name`` under ``root``, gzipped or not."""
    for candidate in (osp.join(root, name), osp.join(root, name + '.gz')):
        if osp.isfile(candidate):
            return candidate
    expected = ', '.join(n for pair in FASHION_MNIST_FILES.values()
                         for n in pair)
    raise FileNotFoundError(
        f'Fashion-MNIST: neither {name} nor {name}.gz is in {root!r}; the '
        f'folder must hold the four official IDX files ({expected}, each '
        f'gzipped or not). {FIX}')


def read_idx(path: str, kind: str) -> np.ndarray:
    """Read one IDX file (``kind`` ``'images'`` or ``'labels'``) as uint8.

    Raises:
        ValueError: when the magic number is not the one of ``kind`` or the
            file holds fewer bytes than its header announces.
    """
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f'{path} is too short to be an IDX file')
    magic = int.from_bytes(data[:4], 'big')
    if magic != _MAGIC[kind]:
        raise ValueError(
            f'{path}: IDX magic number {magic:#010x}, expected '
            f'{_MAGIC[kind]:#010x} for {kind}. Is it the right file (images '
            'and labels swapped, or not an IDX file)?')
    ndim = magic & 0xFF
    dims = [
        int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)
    ]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise ValueError(
            f'{path}: the header announces {dims} ({count} bytes) but the '
            f'file holds {len(data) - offset}: corrupt or incomplete')
    return np.frombuffer(data, np.uint8, count, offset).reshape(dims)


def write_idx(path: str, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped when ``path`` ends with
    ``.gz``): 3-D arrays as images, 1-D as labels."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim
    header = magic.to_bytes(4, 'big') + b''.join(
        int(d).to_bytes(4, 'big') for d in array.shape)
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(header + array.tobytes())


def load_fashion_mnist(root: str, part: str) -> Tuple[np.ndarray, np.ndarray]:
    """Images (N×28×28 uint8) and labels (N, int64) of an official part.

    Args:
        root (str): Folder with the four IDX files.
        part (str): ``'train'`` (60,000) or ``'test'`` (10,000).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(
            f'Fashion-MNIST: the folder {root!r} does not exist. {FIX}')
    image_file, label_file = FASHION_MNIST_FILES[part]
    images = read_idx(_idx_path(root, image_file), 'images')
    labels = read_idx(_idx_path(root, label_file), 'labels')
    if len(images) != len(labels):
        raise ValueError(
            f'Fashion-MNIST {part} in {root!r}: {len(images)} images but '
            f'{len(labels)} labels')
    if labels.size and labels.max() >= len(FASHION_MNIST_CLASSES):
        raise ValueError(
            f'Fashion-MNIST {part} in {root!r}: label {labels.max()} out '
            f'of range 0..{len(FASHION_MNIST_CLASSES) - 1}')
    return images, labels.astype(np.int64)


def fashion_mnist_split_indices(
        labels: np.ndarray) -> Dict[str, np.ndarray]:
    """Indices into the official training part of the fixed ``train`` /
    ``val`` split: ``val`` is a stratified ``VAL_SIZE`` images (seed 0),
    ``train`` the rest. Both are sorted.

    A part smaller than the full release (the tests' tiny files) keeps the
    same val fraction (1/12), at least one image per class present.
    """
    from sklearn.model_selection import train_test_split

    size = VAL_SIZE if len(labels) >= 60000 else max(
        len(labels) // 12, len(np.unique(labels)))
    train, val = train_test_split(
        np.arange(len(labels)),
        test_size=size,
        stratify=labels,
        random_state=VAL_SEED)
    return dict(train=np.sort(train), val=np.sort(val))


@DATASETS.register_module()
class FashionMNISTDataset(BaseDataset):
    """Fashion-MNIST as an mmpretrain dataset, with a fixed validation
    split carved out of the official training set.

    ``data_root`` holds the four official IDX files
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), each gzipped
    (``.gz``) or not. Splits:

    - ``'train'``: the official 60,000 training images minus ``val``
      (55,000),
    - ``'val'``: a stratified 5,000 of the official training images
      (seed 0; 500 per class), for model selection,
    - ``'trainval'``: all 60,000 official training images,
    - ``'test'``: the official 10,000 test images, never used for
      selection.

    Samples reach the pipeline as 28×28×1 uint8 arrays with ``gt_label``.

    Args:
        data_root (str): Folder with the IDX files. Defaults to
            ``'data/fashion_mnist'`` (``make data-fashion-mnist``).
        split (str): ``'train'``, ``'val'``, ``'trainval'`` or ``'test'``.
            Defaults to ``'train'``.
        pipeline (Sequence): Transforms applied to each sample. Defaults
            to an empty tuple.
        test_mode (bool): Whether the dataset is used for evaluation.
            Defaults to False.
        metainfo (dict, optional): Overrides :attr:`METAINFO`. Defaults to
            None.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``indices``, ``lazy_init``...).
    """

    METAINFO = {'classes': FASHION_MNIST_CLASSES}
    SPLITS = ('train', 'val', 'trainval', 'test')
    FIX = FIX

    def __init__(self,
                 data_root: str = DEFAULT_ROOT,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        self.split = split
        super().__init__(
            ann_file='',
            data_root=data_root,
            metainfo=metainfo,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        part = 'test' if self.split == 'test' else 'train'
        images, labels = load_fashion_mnist(self.data_root, part)
        if self.split in ('train', 'val'):
            keep = fashion_mnist_split_indices(labels)[self.split]
            images, labels = images[keep], labels[keep]
        shape = tuple(images.shape[1:])
        return [
            dict(img=img[..., None], img_shape=shape, ori_shape=shape,
                 gt_label=int(label))
            for img, label in zip(images, labels)
        ]

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}']
