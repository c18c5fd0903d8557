import pytest
import torch
from torch import nn

from mmdfkd.models.generators import SpatialLatentGenerator


def test_published_size_and_widths():
    """At the authors' settings (nz 256, ngf 64, 224×224) the latent is a
    256 × 14 × 14 map and the widths are 128, 128, 64, 64, 64."""
    gen = SpatialLatentGenerator()
    assert gen.latent_size == (14, 14)
    assert gen.latent_dim == 256 * 14 * 14
    widths = [m.out_channels for m in gen.modules()
              if isinstance(m, nn.Conv2d)]
    assert widths == [128, 128, 64, 64, 64, 3]


@pytest.mark.parametrize('size, ups', [(32, 2), ((16, 24), 3)])
def test_output_shape_and_range(size, ups):
    gen = SpatialLatentGenerator(latent_channels=4, img_size=size, width=8,
                                 num_upsamples=ups)
    x = gen(torch.randn(2, gen.latent_dim) * 100)
    hw = (size, size) if isinstance(size, int) else size
    assert x.shape == (2, 3, *hw)
    assert x.abs().max() <= 1


def test_is_the_sigmoid_mapped_to_minus_one_one():
    gen = SpatialLatentGenerator(latent_channels=2, img_size=8, width=4,
                                 num_upsamples=1).eval()
    z = torch.randn(3, gen.latent_dim)
    raw = gen.body(z.view(3, 2, 4, 4))
    torch.testing.assert_close(gen(z), 2 * raw - 1)


def test_gradients_reach_every_parameter_and_the_latent():
    gen = SpatialLatentGenerator(latent_channels=4, img_size=16, width=8,
                                 num_upsamples=2)
    z = torch.randn(4, gen.latent_dim, requires_grad=True)
    gen(z).sum().backward()
    assert all(p.grad is not None for p in gen.parameters())
    assert z.grad.abs().sum() > 0


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match='multiple of 2 \\*\\* num_upsa'):
        SpatialLatentGenerator(img_size=100, num_upsamples=4)
