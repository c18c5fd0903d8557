import pytest
import torch
from torch import nn

from mmdfkd.models.synthesizers import GeneratorSynthesizer
from mmdfkd.registry import MODELS


@MODELS.register_module(force=True)
class ConstantGenerator(nn.Module):
    """Returns a learnable constant map of the given value (tests)."""

    def __init__(self, value=0.5, channels=2, latent_dim=4):
        super().__init__()
        self.latent_dim = latent_dim
        self.value = nn.Parameter(torch.full((channels, 3, 3), value))

    def forward(self, z):
        return self.value.expand(z.shape[0], -1, -1, -1)


def test_range_output_maps_to_pixel_range():
    synth = GeneratorSynthesizer(
        dict(type='ConstantGenerator', value=0.5), pixel_range=(0, 200))
    # -1 → 0, 1 → 200: 0.5 → 150
    torch.testing.assert_close(synth(torch.zeros(2, 4)),
                               torch.full((2, 2, 3, 3), 150.))


def test_normalized_output_is_mean_plus_std_times_output():
    synth = GeneratorSynthesizer(
        dict(type='ConstantGenerator', value=-2.0),
        normalized_output=dict(mean=[10., 100.], std=[2., 50.]))
    out = synth(torch.zeros(3, 4))
    torch.testing.assert_close(out[:, 0], torch.full((3, 3, 3), 6.))
    torch.testing.assert_close(out[:, 1], torch.full((3, 3, 3), 0.))
    # a network normalising with the same mean/std sees G(z) itself
    mean = torch.tensor([10., 100.]).view(1, -1, 1, 1)
    std = torch.tensor([2., 50.]).view(1, -1, 1, 1)
    torch.testing.assert_close((out - mean) / std,
                               torch.full((3, 2, 3, 3), -2.))
    out.sum().backward()
    # d out / d value = std, summed over batch and pixels
    torch.testing.assert_close(synth.generator.value.grad[:, 0, 0],
                               torch.tensor([2. * 3, 50. * 3]))
    # the mapping is not a parameter and not saved
    assert 'out_mean' not in synth.state_dict()


def test_normalized_output_bad_input():
    gen = dict(type='ConstantGenerator')
    with pytest.raises(ValueError, match='mean=.*std='):
        GeneratorSynthesizer(gen, normalized_output=dict(mean=[1.]))
    with pytest.raises(ValueError, match='positive'):
        GeneratorSynthesizer(
            gen, normalized_output=dict(mean=[1.], std=[0.]))
    synth = GeneratorSynthesizer(
        gen, normalized_output=dict(mean=[1., 2., 3.], std=[1., 1., 1.]))
    with pytest.raises(ValueError, match='3 channels.*makes 2'):
        synth(torch.zeros(1, 4))


def test_views_in_training_mode_only():
    """Views augment every training batch (differentiably: the gradient
    reaches the generator); in eval mode the batch is G(z) itself."""
    synth = GeneratorSynthesizer(
        dict(type='ConstantGenerator', value=1.0, channels=1),
        pixel_range=(0, 10),
        views=dict(type='DifferentiableViews',
                   transforms=[dict(type='RandomHorizontalFlip', p=1.0),
                               dict(type='RandomCrop', size=(3, 3),
                                    padding=1)]))
    synth.eval()
    torch.testing.assert_close(synth(torch.zeros(2, 4)),
                               torch.full((2, 1, 3, 3), 10.))
    synth.train()
    torch.manual_seed(0)
    out = synth(torch.zeros(64, 4))
    assert out.shape == (64, 1, 3, 3)
    # a one-pixel shift brings in zero padding on some images, not all
    has_padding = (out == 0).flatten(1).any(1)
    assert 0 < int(has_padding.sum()) < 64
    assert set(out.unique().tolist()) <= {0., 10.}
    out.sum().backward()
    grad = synth.generator.value.grad
    # each of the 9 pixels is kept in some views, never more than 64 times
    assert grad.shape == (1, 3, 3) and bool((grad > 0).all())
    assert bool((grad <= 64 * 10 / 2).all())


def test_a_list_of_views_is_applied_in_order():
    """``views=[...]``: each view config built and applied in turn, in
    training mode only: a flip then a scale to 0.5 of a one-hot row."""
    gen = dict(type='ConstantGenerator', value=1.0, channels=1)
    synth = GeneratorSynthesizer(
        gen,
        pixel_range=(0, 10),
        views=[
            dict(type='RandomShift', max_shift=0, flip_prob=1.0),
            dict(type='RandomIntensityScale', scale=(0.5, 0.5))
        ])
    with torch.no_grad():
        synth.generator.value.fill_(-1.)
        synth.generator.value[0, 0, 0] = 1.  # a bright top-left pixel
    synth.eval()
    eval_out = synth(torch.zeros(2, 4))
    assert eval_out[0, 0, 0, 0] == 10. and eval_out[0, 0, 0, -1] == 0.
    synth.train()
    out = synth(torch.zeros(2, 4))
    expected = eval_out.flip(-1) * 0.5
    torch.testing.assert_close(out, expected)
    assert [type(v).__name__ for v in synth.views] == [
        'RandomShift', 'RandomIntensityScale']
