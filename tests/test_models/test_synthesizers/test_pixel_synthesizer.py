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
    with pytest.raises(ValueError, match='low_res_iterations'):
        PixelSynthesizer((1, 8, 8), iterations=3, low_res_iterations=4)


def test_resolution_schedule_pools_the_first_steps():
    """DeepInversion's ImageNet schedule: the first low_res_iterations
    steps see the 2×2 average of the pixels, the others the full batch."""
    seen = []

    def loss_fn(images):
        seen.append(images.detach().clone())
        return dict(l=((images - 100.)**2).mean())

    synth = PixelSynthesizer((1, 4, 4), iterations=5, low_res_iterations=3,
                             low_res_factor=2)
    images, _ = synth.synthesize(ENV, loss_fn, torch.zeros(2, 1))
    assert [tuple(s.shape) for s in seen] == [(2, 1, 2, 2)] * 3 + [
        (2, 1, 4, 4)
    ] * 2
    assert images.shape == (2, 1, 4, 4)
    # a low-resolution view is the mean of each 2×2 block of the pixels
    seen.clear()
    synth = PixelSynthesizer((1, 4, 4), iterations=1, low_res_iterations=1)
    torch.manual_seed(0)
    pixels = synth.to_pixels(torch.randn(2, 1, 4, 4) * 0.5)
    torch.manual_seed(0)  # the same initial pixels
    synth.synthesize(ENV, loss_fn, torch.zeros(2, 1))
    expected = pixels.reshape(2, 1, 2, 2, 2, 2).mean((3, 5))
    torch.testing.assert_close(seen[0], expected)


def test_cosine_learning_rate_with_warmup():
    """DeepInversion's lr_cosine_policy within each resolution: linear
    warm-up to lr, then a cosine to 0."""
    synth = PixelSynthesizer((1, 2, 2), iterations=10, lr=0.2,
                             cosine_lr=True, warmup_iters=2)
    got = [synth.stage_lr(i, 6) for i in range(6)]
    # warm-up 0.1, 0.2; then 0.5·(1 + cos(π·k/4))·0.2 for k = 0..3
    expected = [0.1, 0.2, 0.2, 0.5 * (1 + 2**-0.5) * 0.2, 0.1,
                0.5 * (1 - 2**-0.5) * 0.2]
    assert got == pytest.approx(expected)
    assert PixelSynthesizer((1, 2, 2), lr=0.3).stage_lr(5, 6) == 0.3


def test_each_resolution_gets_a_fresh_adam(monkeypatch):
    made = []
    adam = torch.optim.Adam

    def spy(*args, **kwargs):
        made.append(kwargs)
        return adam(*args, **kwargs)

    monkeypatch.setattr(torch.optim, 'Adam', spy)
    synth = PixelSynthesizer((1, 4, 4), iterations=4, low_res_iterations=2,
                             betas=(0.5, 0.9))
    synth.synthesize(ENV, lambda x: dict(l=x.mean()), torch.zeros(1, 1))
    assert len(made) == 2 and all(m['betas'] == (0.5, 0.9) for m in made)


def test_the_optimiser_follows_the_cosine_schedule(monkeypatch):
    """The rates the Adam steps use are stage_lr's, per resolution."""
    used = []
    step = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        used.append(self.param_groups[0]['lr'])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, 'step', spy)
    synth = PixelSynthesizer((1, 4, 4), iterations=5, low_res_iterations=2,
                             lr=0.2, cosine_lr=True, warmup_iters=1)
    synth.synthesize(ENV, lambda x: dict(l=x.mean()), torch.zeros(1, 1))
    expected = [synth.stage_lr(i, 2) for i in range(2)] + [
        synth.stage_lr(i, 3) for i in range(3)
    ]
    assert used == pytest.approx(expected)
    assert used[0] == pytest.approx(0.2) and used[2] == pytest.approx(0.2)
