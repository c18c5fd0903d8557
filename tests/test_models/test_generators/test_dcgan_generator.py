import pytest
import torch
from torch import nn

from mmdfkd.models.generators import DCGANGenerator


@pytest.mark.parametrize('size, ups, out', [(128, 4, (128, 128)),
                                            (32, 2, (32, 32)),
                                            ((16, 24), 3, (16, 24))])
def test_output_shape_and_range(size, ups, out):
    gen = DCGANGenerator(latent_dim=10, img_size=size, base_channels=16,
                         num_upsamples=ups, min_channels=4)
    x = gen(torch.randn(2, 10))
    assert x.shape == (2, 3, *out)
    assert x.abs().max() <= 1
    assert gen.init_size == (out[0] // 2**ups, out[1] // 2**ups)


def test_widths_halve_down_to_the_floor():
    gen = DCGANGenerator(latent_dim=4, img_size=32, base_channels=64,
                         num_upsamples=4, min_channels=16)
    widths = [m.out_channels for m in gen.modules()
              if isinstance(m, nn.ConvTranspose2d)]
    assert widths == [32, 16, 16, 16]


def test_gradients_reach_every_parameter():
    gen = DCGANGenerator(latent_dim=10, img_size=16, base_channels=8,
                         num_upsamples=2, min_channels=4)
    gen(torch.randn(4, 10)).sum().backward()
    assert all(p.grad is not None for p in gen.parameters())


def test_without_normalisation_samples_are_independent():
    gen = DCGANGenerator(latent_dim=10, img_size=16, base_channels=8,
                         num_upsamples=2, norm_cfg=None)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in gen.modules())
    z = torch.randn(4, 10)
    torch.testing.assert_close(gen(z)[:1], gen(z[:1]))


def test_bad_sizes():
    with pytest.raises(ValueError, match='multiple of 2 \\*\\* num_up'):
        DCGANGenerator(img_size=120, num_upsamples=4)
    with pytest.raises(ValueError, match='num_upsamples >= 1'):
        DCGANGenerator(img_size=32, num_upsamples=0)
