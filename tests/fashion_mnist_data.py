"""Tiny Fashion-MNIST files in the official layout, for tests (never the
Debian package)."""
import os

import numpy as np

from mmdfkd.datasets.fashion_mnist import FASHION_MNIST_FILES, write_idx


def write_fashion_mnist(root, n_train=48, n_test=20, gz=True, seed=0):
    """Random 28×28 images, class-balanced labels (0..9 in turn), in the
    four official IDX files under ``root``; returns ``root``."""
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    suffix = '.gz' if gz else ''
    for part, n in (('train', n_train), ('test', n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        image_file, label_file = FASHION_MNIST_FILES[part]
        write_idx(os.path.join(root, image_file + suffix), images)
        write_idx(os.path.join(root, label_file + suffix), labels)
    return root
