import pytest
import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmdfkd.models.backbones import ConvNet
from mmdfkd.registry import MODELS


def _norm_layers(model):
    return [
        m for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._NormBase)
    ]


def test_default_output_shape():
    model = ConvNet()
    assert isinstance(model, BaseBackbone)
    assert model.strides == (1, 2, 2)
    out = model(torch.randn(3, 1, 8, 8))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (3, 128, 2, 2)


def test_all_stage_outputs():
    model = ConvNet(widths=(8, 16, 24), out_indices=(0, 1, 2))
    out = model(torch.randn(2, 1, 8, 8))
    assert [tuple(o.shape) for o in out] == [(2, 8, 8, 8), (2, 16, 4, 4),
                                             (2, 24, 2, 2)]
    model = ConvNet(widths=(8, 16, 24), out_indices=(-2, 0))
    out = model(torch.randn(2, 1, 8, 8))
    assert [tuple(o.shape) for o in out] == [(2, 8, 8, 8), (2, 16, 4, 4)]


@pytest.mark.parametrize('widths,strides,in_ch,size,expected', [
    ((16, 32, 64), (1, 2, 2), 1, 8, (64, 2, 2)),
    ((16, 32, 64), (1, 1, 1), 1, 8, (64, 8, 8)),
    ((4, 6), (2, 2), 3, 16, (6, 4, 4)),
    ((5, ), None, 2, 7, (5, 7, 7)),
])
def test_widths_and_strides(widths, strides, in_ch, size, expected):
    model = ConvNet(in_channels=in_ch, widths=widths, strides=strides)
    out = model(torch.randn(2, in_ch, size, size))
    assert out[-1].shape == (2, ) + expected


def test_num_convs_per_stage():
    model = ConvNet(widths=(8, 16), num_convs=2)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 4
    assert [c.stride for c in convs] == [(1, 1), (1, 1), (2, 2), (1, 1)]
    assert model(torch.randn(1, 1, 8, 8))[0].shape == (1, 16, 4, 4)


def test_batchnorm_by_default():
    model = ConvNet(widths=(8, 16, 32))
    norms = _norm_layers(model)
    assert len(norms) == 3
    assert all(isinstance(n, nn.BatchNorm2d) for n in norms)
    assert [n.num_features for n in norms] == [8, 16, 32]


def test_no_norm():
    model = ConvNet(norm_cfg=None)
    assert _norm_layers(model) == []
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and all(c.bias is not None for c in convs)
    assert model(torch.randn(2, 1, 8, 8))[0].shape == (2, 128, 2, 2)


def test_activations_not_inplace():
    # forward hooks on norm layers must see un-mutated outputs
    model = ConvNet(widths=(4, 4))
    acts = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(acts) == 2 and not any(a.inplace for a in acts)


@pytest.mark.parametrize('norm_cfg', [dict(type='BN'), None])
def test_gradients_flow(norm_cfg):
    model = ConvNet(widths=(8, 16, 32), norm_cfg=norm_cfg)
    model.train()
    x = torch.randn(4, 1, 8, 8, requires_grad=True)
    model(x)[0].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_invalid_args():
    with pytest.raises(ValueError):
        ConvNet(widths=(8, 16), strides=(1, ))
    with pytest.raises(ValueError):
        ConvNet(widths=())
    with pytest.raises(IndexError):
        ConvNet(widths=(8, 16), out_indices=(2, ))


def test_registry_and_classifier():
    backbone = MODELS.build(dict(type='ConvNet', widths=(4, 8)))
    assert isinstance(backbone, ConvNet)
    classifier = MODELS.build(
        dict(
            type='ImageClassifier',
            _scope_='mmpretrain',
            backbone=dict(type='mmdfkd.ConvNet', widths=(4, 8)),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=8)))
    assert isinstance(classifier.backbone, ConvNet)
    logits = classifier(torch.randn(2, 1, 8, 8), mode='tensor')
    assert logits.shape == (2, 10)
