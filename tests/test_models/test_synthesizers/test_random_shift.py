import pytest
import torch

from mmdfkd.models.synthesizers import RandomShift


def reference_shift(image, dy, dx, fill):
    """``image`` (C×H×W) moved down by dy and right by dx pixels."""
    c, h, w = image.shape
    out = torch.full_like(image, fill)
    for y in range(h):
        for x in range(w):
            sy, sx = y - dy, x - dx
            if 0 <= sy < h and 0 <= sx < w:
                out[:, y, x] = image[:, sy, sx]
    return out


def test_every_image_is_one_of_the_shifts():
    torch.manual_seed(0)
    images = torch.rand(64, 2, 5, 6) * 255
    out = RandomShift(max_shift=2, fill=-1.)(images)
    assert out.shape == images.shape
    seen = set()
    for img, view in zip(images, out):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(view, reference_shift(img, dy, dx, -1.))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 10  # new parameters per image


def test_wrap_is_a_roll_of_each_image():
    """DeepInversion's jitter: torch.roll by up to max_shift pixels in
    each direction, new offsets per image; every pixel stays in view."""
    torch.manual_seed(0)
    images = torch.rand(64, 2, 5, 6)
    out = RandomShift(max_shift=2, wrap=True)(images)
    seen = set()
    for img, view in zip(images, out):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(view, img.roll((dy, dx), dims=(1, 2)))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 10
    x = images.clone().requires_grad_(True)
    RandomShift(max_shift=2, wrap=True)(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.ones_like(x))


def test_gradient_reaches_pixels_in_view():
    torch.manual_seed(1)
    images = torch.rand(8, 1, 4, 4, requires_grad=True)
    out = RandomShift(max_shift=1)(images)
    out.sum().backward()
    # each input pixel gets 1 where it stays in view, else 0; the
    # centre 2×2 always stays in view
    assert set(images.grad.unique().tolist()) <= {0., 1.}
    assert bool((images.grad[:, :, 1:3, 1:3] == 1).all())
    assert torch.equal(images.grad.sum(dim=(1, 2, 3)),
                       (out.detach() != 0).sum(dim=(1, 2, 3)).float())


def test_flip_and_reproducibility():
    images = torch.arange(2 * 3 * 3, dtype=torch.float).view(2, 1, 3, 3)
    flipped = RandomShift(max_shift=0, flip_prob=1.)(images)
    assert torch.equal(flipped, images.flip(-1))
    assert torch.equal(RandomShift(max_shift=0)(images), images)
    torch.manual_seed(3)
    a = RandomShift(max_shift=1, flip_prob=0.5)(images.repeat(16, 1, 1, 1))
    torch.manual_seed(3)
    b = RandomShift(max_shift=1, flip_prob=0.5)(images.repeat(16, 1, 1, 1))
    assert torch.equal(a, b)


def test_bad_arguments():
    with pytest.raises(ValueError, match='max_shift'):
        RandomShift(max_shift=-1)
    with pytest.raises(ValueError, match='max_shift'):
        RandomShift(max_shift=1.5)
    with pytest.raises(ValueError, match='flip_prob'):
        RandomShift(flip_prob=2)
    with pytest.raises(ValueError, match='N×C×H×W'):
        RandomShift()(torch.zeros(3, 4, 4))
