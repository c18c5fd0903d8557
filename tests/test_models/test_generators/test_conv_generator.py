import pytest
import torch
from torch import nn

from mmdfkd.models.generators import ConvGenerator


@pytest.mark.parametrize('size, out', [(8, (8, 8)), (32, (32, 32)),
                                       ((16, 24), (16, 24))])
def test_output_shape_and_range(size, out):
    gen = ConvGenerator(latent_dim=10, img_size=size, out_channels=3,
                        base_channels=8)
    x = gen(torch.randn(4, 10))
    assert x.shape == (4, 3, *out)
    assert x.abs().max() <= 1


def test_gradients_reach_every_parameter():
    gen = ConvGenerator(latent_dim=10, img_size=8, out_channels=1,
                        base_channels=8)
    gen(torch.randn(4, 10)).sum().backward()
    assert all(p.grad is not None for p in gen.parameters())


def test_without_normalisation():
    gen = ConvGenerator(latent_dim=10, img_size=8, base_channels=8,
                        norm_cfg=None)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in gen.modules())
    # one sample's output does not depend on the rest of the batch
    z = torch.randn(4, 10)
    torch.testing.assert_close(gen(z)[:1], gen(z[:1]))


def test_tanh_bn_output_is_standardised_per_channel():
    """DAFL/DFAD output layer: tanh, then BatchNorm without affine: in
    training mode each channel has zero mean and unit variance over the
    batch, whatever the weights."""
    gen = ConvGenerator(latent_dim=10, img_size=8, out_channels=3,
                        base_channels=8, out_act='tanh_bn')
    assert isinstance(gen.body[-2], nn.Tanh)
    out_bn = gen.body[-1]
    assert isinstance(out_bn, nn.BatchNorm2d) and not out_bn.affine
    x = gen(torch.randn(16, 10))
    torch.testing.assert_close(x.mean(dim=(0, 2, 3)), torch.zeros(3),
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(
        x.var(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-3,
        rtol=0)
    gen(torch.randn(4, 10)).sum().backward()
    assert all(p.grad is not None for p in gen.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match='multiple of 4'):
        ConvGenerator(img_size=30)
    with pytest.raises(ValueError, match='out_act'):
        ConvGenerator(out_act='sigmoid')
