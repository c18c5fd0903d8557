"""Tiny Fashion-MNIST IDX files for the federated tests (never the real
package)."""
import os.path as osp

import numpy as np
import pytest

from mmdfkd.datasets.fashion_mnist import FASHION_MNIST_FILES, write_idx


def write_tiny_fashion_mnist(root: str, n_train: int = 360,
                             n_test: int = 100) -> str:
    """28×28 images whose class is a bright horizontal band (row block
    2·label .. 2·label + 3) over noise: learnable in a few steps."""
    rng = np.random.default_rng(0)
    for part, n in (('train', n_train), ('test', n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        for i, y in enumerate(labels):
            images[i, 2 * y + 4:2 * y + 7] = 255
        image_file, label_file = FASHION_MNIST_FILES[part]
        write_idx(osp.join(root, image_file + '.gz'), images)
        write_idx(osp.join(root, label_file + '.gz'), labels)
    return root


@pytest.fixture(scope='session')
def fashion_root(tmp_path_factory) -> str:
    return write_tiny_fashion_mnist(str(tmp_path_factory.mktemp('fmnist')))
