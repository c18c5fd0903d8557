import pytest
import torch

from mmdfkd.models.backbones import LeNet5
from mmdfkd.registry import MODELS
from tests.conftest import load_cfg


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_geometry_and_widths():
    net = LeNet5()
    (out, ) = net(torch.zeros(2, 1, 28, 28))
    assert out.shape == (2, 120, 1, 1)  # 28 → 28 → 14 → 10 → 5 → 1
    # conv parameters of LeNet-5: 156 + 2416 + 48120
    assert n_params(net) == 156 + 2416 + 48120
    (out, ) = LeNet5(widths=(3, 8, 60))(torch.zeros(1, 1, 32, 32))
    assert out.shape == (1, 60, 2, 2)
    # DAFL / DFAD: 32×32 inputs, no padding, the same 28 → ... → 1 maps
    (out, ) = LeNet5(padding=0)(torch.zeros(2, 1, 32, 32))
    assert out.shape == (2, 120, 1, 1)


def test_fashion_mnist_pair_and_zskd_half():
    cfg = load_cfg('configs/_base_/models/fashion_mnist_lenet5.py')
    teacher = MODELS.build(cfg.lenet5.to_dict())
    student = MODELS.build(cfg.lenet5_half.to_dict())
    x = torch.rand(3, 1, 32, 32) * 255
    assert teacher(x, mode='tensor').shape == (3, 10)
    assert student(x, mode='tensor').shape == (3, 10)
    assert n_params(teacher) == 61706
    # Zero-Shot KD's half: convs 3 and 8 wide, conv 3 and FC widths kept
    # (78 + 608 + 24120 + 10164 + 850)
    assert n_params(student) == 35820


def test_classifiers_of_the_config():
    cfg = load_cfg('configs/_base_/models/lenet5_mnist.py')
    teacher = MODELS.build(cfg.lenet5.to_dict())
    student = MODELS.build(cfg.lenet5_half.to_dict())
    x = torch.rand(3, 1, 28, 28) * 255
    assert teacher(x, mode='tensor').shape == (3, 10)
    assert student(x, mode='tensor').shape == (3, 10)
    # LeNet-5 with its 120 → 84 → 10 layers: 61,706 parameters
    assert n_params(teacher) == 61706
    assert n_params(student) < n_params(teacher) / 3


def test_bad_input_and_arguments():
    with pytest.raises(ValueError, match='at least 28×28'):
        LeNet5()(torch.zeros(1, 1, 27, 27))
    with pytest.raises(ValueError, match='at least 32×32'):
        LeNet5(padding=0)(torch.zeros(1, 1, 28, 28))
    with pytest.raises(ValueError, match='padding'):
        LeNet5(padding=-1)
    with pytest.raises(ValueError, match='three positive widths'):
        LeNet5(widths=(6, 16))
