import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from mmdfkd.models.algorithms.task_adapter import (logits_to_rows,
                                                   rows_per_sample)


def test_per_image_logits_are_rows_already():
    logits = torch.randn(4, 3)
    assert logits_to_rows(logits) is logits
    assert logits_to_rows(logits, size=(8, 8)) is logits
    assert rows_per_sample(logits) == 1
    assert rows_per_sample(logits, size=(8, 8)) == 1


def test_hand_picked_per_pixel_rows():
    # N=1, C=2, H=1, W=2: pixel (0, 0) has scores (1, 3), pixel (0, 1) (2, 4)
    logits = torch.tensor([[[[1., 2.]], [[3., 4.]]]])
    assert_close(logits_to_rows(logits), torch.tensor([[1., 3.], [2., 4.]]))
    assert rows_per_sample(logits) == 2


def test_per_pixel_row_order():
    """Row n·H·W + h·W + w holds the class scores of pixel (n, h, w)."""
    n, c, h, w = 2, 3, 4, 5
    logits = torch.randn(n, c, h, w)
    rows = logits_to_rows(logits)
    assert rows.shape == (n * h * w, c)
    for i in range(n):
        for y in range(h):
            for x in range(w):
                assert torch.equal(rows[i * h * w + y * w + x], logits[i, :, y,
                                                                       x])
    assert rows_per_sample(logits) == h * w


def test_resize_matches_interpolate():
    n, c = 2, 3
    logits = torch.randn(n, c, 3, 4)
    size = (6, 5)
    rows = logits_to_rows(logits, size)
    up = F.interpolate(logits, size=size, mode='bilinear', align_corners=False)
    assert rows.shape == (n * 6 * 5, c)
    for i in range(n):
        for y in range(6):
            for x in range(5):
                assert_close(rows[i * 30 + y * 5 + x], up[i, :, y, x])
    assert rows_per_sample(logits, size) == 30


def test_size_equal_to_input_keeps_values():
    logits = torch.randn(2, 3, 4, 4)
    assert torch.equal(logits_to_rows(logits, (4, 4)), logits_to_rows(logits))
    assert torch.equal(
        logits_to_rows(logits, torch.Size([4, 4])), logits_to_rows(logits))


def test_rows_carry_gradient():
    logits = torch.randn(2, 3, 2, 2, requires_grad=True)
    rows = logits_to_rows(logits, (4, 4))
    rows.sum().backward()
    # Bilinear ×2 upsampling (align_corners=False, borders clamped) spreads
    # each input value with weights summing to 2 per axis: 2 × 2 = 4.
    assert_close(logits.grad, torch.full_like(logits, 4.))


@pytest.mark.parametrize('shape', [(3, ), (2, 3, 4), (1, 2, 3, 4, 5)])
def test_other_ranks_raise(shape):
    with pytest.raises(ValueError, match='N×C'):
        logits_to_rows(torch.zeros(shape))
