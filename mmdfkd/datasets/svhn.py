"""The Street View House Numbers (SVHN) as an mmpretrain dataset."""
import os.path as osp
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmdfkd.registry import DATASETS

SVHN_CLASSES = tuple(str(i) for i in range(10))
#: Split → file of the official "cropped digits" release (format 2).
SVHN_FILES = {
    'train': 'train_32x32.mat',
    'test': 'test_32x32.mat',
    'extra': 'extra_32x32.mat',
}


@DATASETS.register_module()
class SVHN(BaseDataset):
    """SVHN cropped digits (Netzer et al., 2011), read from the official
    MATLAB files ``train_32x32.mat``, ``test_32x32.mat`` (and optionally
    ``extra_32x32.mat``) under ``data_root``; mmpretrain has no SVHN.

    A file holds ``X`` (32×32×3×N, uint8) and ``y`` (N×1, labels 1..10,
    where 10 is the digit 0). Samples reach the pipeline as 32×32×3 uint8
    RGB arrays with ``gt_label`` in 0..9 (10 mapped to 0).

    Args:
        data_root (str): Folder with the ``.mat`` files.
        split (str): ``'train'``, ``'test'`` or ``'extra'``. Defaults to
            ``'train'``.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``pipeline``, ``test_mode``, ``indices``...).
    """
    METAINFO = {'classes': SVHN_CLASSES}

    def __init__(self, data_root: str, split: str = 'train',
                 **kwargs) -> None:
        if split not in SVHN_FILES:
            raise ValueError(f'split must be one of {sorted(SVHN_FILES)}, '
                             f'got {split!r}')
        self.split = split
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        from scipy.io import loadmat
        path = osp.join(self.data_root, SVHN_FILES[self.split])
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'SVHN: {path} not found. Download the "cropped digits" '
                'files (train_32x32.mat, test_32x32.mat) from '
                'http://ufldl.stanford.edu/housenumbers/ into data_root.')
        mat = loadmat(path)
        images = np.ascontiguousarray(mat['X'].transpose(3, 0, 1, 2))
        labels = mat['y'].reshape(-1).astype(np.int64) % 10
        if images.shape[1:] != (32, 32, 3) or len(images) != len(labels):
            raise ValueError(
                f'SVHN: {path} holds X of shape {mat["X"].shape} and y of '
                f'shape {mat["y"].shape}; expected 32×32×3×N and N×1')
        return [
            dict(img=img, img_shape=(32, 32), ori_shape=(32, 32),
                 gt_label=int(label))
            for img, label in zip(images, labels)
        ]
