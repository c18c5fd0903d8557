"""Tiny Fashion-MNIST files in the official layout, for tests (never the
Debian package)."""
import os

import numpy as np

from mmdfkd.datasets.fashion_mnist import FASHION_MNIST_FILES, write_idx


def write_fashion_mnist(root, n_train=48, n_test=20, gz=True, seed=0,
                        learnable=False):
    """28×28 images, class-balanced labels (0..9 in turn), in the four
    official IDX files under ``root``; returns ``root``.

    Pixels are uniform noise; with ``learnable`` they are dim noise (0..59)
    with a bright horizontal band at rows 2·label + 4 .. 2·label + 6, so a
    small model learns the classes in a few steps (federated tests).
    """
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    suffix = '.gz' if gz else ''
    for part, n in (('train', n_train), ('test', n_test)):
        labels = np.arange(n, dtype=np.uint8) % 10
        images = rng.integers(0, 60 if learnable else 256, (n, 28, 28),
                              dtype=np.uint8)
        if learnable:
            for i, y in enumerate(labels):
                images[i, 2 * y + 4:2 * y + 7] = 255
        image_file, label_file = FASHION_MNIST_FILES[part]
        write_idx(os.path.join(root, image_file + suffix), images)
        write_idx(os.path.join(root, label_file + suffix), labels)
    return root
