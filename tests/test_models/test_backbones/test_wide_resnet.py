import pytest
import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmdfkd.models.backbones import WideResNet
from mmdfkd.registry import MODELS


def formula_params(depth, k, in_channels=3):
    """Parameters of WRN-depth-k counted from the architecture's description
    (bias-free convolutions, affine BN), independently of the module."""
    n = (depth - 4) // 6
    total = 9 * in_channels * 16  # stem
    c_in = 16
    for width in (16 * k, 32 * k, 64 * k):
        for j in range(n):
            total += 2 * c_in + 9 * c_in * width  # bn1, conv1
            total += 2 * width + 9 * width * width  # bn2, conv2
            if c_in != width or (j == 0 and width != 16 * k):
                total += c_in * width  # 1x1 shortcut
            c_in = width
    return total + 2 * c_in  # final BN


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('depth,k,channels', [(40, 2, 128), (16, 1, 64)])
def test_output_shapes(depth, k, channels):
    model = WideResNet(depth=depth, widen_factor=k, out_indices=(0, 1, 2))
    assert isinstance(model, BaseBackbone)
    model.init_weights()
    out = model(torch.randn(2, 3, 32, 32))
    assert isinstance(out, tuple)
    assert [tuple(o.shape) for o in out] == [(2, 16 * k, 32, 32),
                                             (2, 32 * k, 16, 16),
                                             (2, channels, 8, 8)]
    # the last group's output is activated (final BN-ReLU)
    assert (out[-1] >= 0).all()
    default = WideResNet(depth=depth, widen_factor=k)(torch.randn(1, 3, 32,
                                                                  32))
    assert len(default) == 1 and default[0].shape == (1, channels, 8, 8)


def test_parameter_counts():
    wrn40_2 = WideResNet(depth=40, widen_factor=2)
    wrn16_1 = WideResNet(depth=16, widen_factor=1)
    assert count(wrn40_2) == formula_params(40, 2)
    assert count(wrn16_1) == formula_params(16, 1)
    # with a 10-class linear head: the published 2.2 M and 0.17 M
    assert count(wrn40_2) + 128 * 10 + 10 == pytest.approx(2.2e6, rel=0.03)
    assert count(wrn16_1) + 64 * 10 + 10 == pytest.approx(0.175e6,
                                                          rel=0.03)


def test_structure_and_names():
    model = WideResNet(depth=16, widen_factor=2, dropout=0.3)
    names = dict(model.named_children())
    for name in ('stem', 'layer1', 'layer2', 'layer3', 'norm', 'relu'):
        assert name in names
    assert [len(getattr(model, f'layer{i}')) for i in (1, 2, 3)] == [2] * 3
    # shortcut convolutions exactly where the shape changes (every group's
    # first block here: 16 -> 32 channels, then strides 2)
    shortcuts = [b.shortcut is not None for i in (1, 2, 3)
                 for b in getattr(model, f'layer{i}')]
    assert shortcuts == [True, False, True, False, True, False]
    # WRN-16-1's first block keeps 16 channels at stride 1: identity
    wrn16_1 = WideResNet(depth=16, widen_factor=1)
    assert wrn16_1.layer1[0].shortcut is None
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 6
    assert not any(isinstance(m, nn.Dropout) for m in wrn16_1.modules())


def test_gradient_flow():
    torch.manual_seed(0)
    model = WideResNet(depth=16, widen_factor=1, dropout=0.1)
    model.init_weights()
    model.train()
    x = torch.randn(4, 3, 32, 32, requires_grad=True)
    out = model(x)[0]
    out.mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    assert model.stem.weight.grad.abs().sum() > 0


def test_registry_and_classifier():
    model = MODELS.build(
        dict(type='WideResNet', depth=16, widen_factor=1, in_channels=1))
    assert model(torch.randn(2, 1, 16, 16))[0].shape == (2, 64, 4, 4)
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
        clf = PRETRAIN_MODELS.build(
            dict(
                type='ImageClassifier',
                backbone=dict(type='mmdfkd.WideResNet', depth=16,
                              widen_factor=1),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10,
                          in_channels=64)))
    assert clf(torch.randn(2, 3, 32, 32), mode='tensor').shape == (2, 10)


@pytest.mark.parametrize('kwargs', [
    dict(depth=18), dict(depth=4), dict(depth=16, widen_factor=0),
    dict(depth=16, dropout=1.0)
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        WideResNet(**kwargs)


def test_out_index_range():
    assert WideResNet(depth=10, out_indices=-1).out_indices == (2, )
    with pytest.raises(IndexError):
        WideResNet(depth=10, out_indices=(3, ))
