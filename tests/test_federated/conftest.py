"""Tiny Fashion-MNIST IDX files for the federated tests (never the real
package)."""
import pytest

from tests.fashion_mnist_data import write_fashion_mnist


@pytest.fixture(scope='session')
def fashion_root(tmp_path_factory) -> str:
    return write_fashion_mnist(str(tmp_path_factory.mktemp('fmnist')),
                               n_train=360, n_test=100, learnable=True)
