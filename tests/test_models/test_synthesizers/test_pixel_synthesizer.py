from types import SimpleNamespace

import pytest
import torch

from mmdfkd.models.synthesizers import PixelSynthesizer

#: What the synthesizers read of a distiller here: the round index.
ENV = SimpleNamespace(round_index=0)


def quadratic_loss(target):
    """A loss whose optimum is a known image (pixel space)."""

    def loss_fn(images):
        return dict(l2=((images - target)**2).mean())

    return loss_fn


def test_optimises_pixels_towards_the_loss_optimum():
    torch.manual_seed(0)
    target = torch.full((4, 1, 3, 3), 200.0)
    synth = PixelSynthesizer((1, 3, 3), iterations=150, lr=0.1)
    images, losses = synth.synthesize(ENV, quadratic_loss(target),
                                      torch.zeros(4, 5))
    assert images.shape == (4, 1, 3, 3) and not images.requires_grad
    assert (images - target).abs().max() < 5
    torch.testing.assert_close(losses['l2'], ((images - target)**2).mean(),
                               rtol=1e-4, atol=1e-4)


def test_pixels_stay_in_range():
    target = torch.full((2, 1, 2, 2), 1000.0)  # beyond the valid range
    synth = PixelSynthesizer((1, 2, 2), iterations=50, lr=0.5,
                             pixel_range=(0, 255))
    images, _ = synth.synthesize(ENV, quadratic_loss(target),
                                 torch.zeros(2, 1))
    assert images.max() <= 255 and images.min() >= 0
    torch.testing.assert_close(images, torch.full_like(images, 255.0))


def test_keeps_the_lowest_loss_iterate():
    calls = []

    def loss_fn(images):
        # the loss rises after the third step whatever the images are
        calls.append(images.detach().clone())
        step = len(calls)
        return dict(l=images.mean() * 0 + (step if step > 3 else -step))

    synth = PixelSynthesizer((1, 2, 2), iterations=6, lr=0.1)
    images, losses = synth.synthesize(ENV, loss_fn, torch.zeros(1, 1))
    assert float(losses['l']) == -3
    torch.testing.assert_close(images, calls[2])


def test_all_nonfinite_is_an_error():
    synth = PixelSynthesizer((1, 2, 2), iterations=3)
    with pytest.raises(FloatingPointError, match='non-finite'):
        synth.synthesize(ENV, lambda x: dict(l=x.sum() * float('nan')),
                         torch.zeros(2, 1))


def test_views_are_applied_each_step():
    seen = []

    class Spy(torch.nn.Module):

        def forward(self, x):
            seen.append(x.shape)
            return x.flip(-1)

    synth = PixelSynthesizer((1, 2, 2), iterations=4)
    synth.views = Spy()
    synth.synthesize(ENV, lambda x: dict(l=x.mean()), torch.zeros(3, 1))
    assert seen == [(3, 1, 2, 2)] * 4


def test_bad_arguments():
    with pytest.raises(ValueError):
        PixelSynthesizer((8, 8))
    with pytest.raises(ValueError):
        PixelSynthesizer((1, 8, 8), iterations=0)
