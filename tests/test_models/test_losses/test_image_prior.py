import torch

from mmdfkd.models.losses import DistillContext, TotalVariationLoss
from mmdfkd.registry import MODELS


def ctx_of(images):
    return DistillContext(images=images, teacher_logits=torch.zeros(1, 2))


def test_total_variation_by_hand():
    # one 2×2 grey image [[0, 255], [255, 255]] at pixel_scale 255:
    # horizontal |1-0|,|1-1| → mean 0.5; vertical |1-0|,|1-1| → 0.5;
    # diagonal |1-0| → 1; anti-diagonal |1-1| → 0. Sum 2.0.
    img = torch.tensor([[[[0., 255.], [255., 255.]]]])
    torch.testing.assert_close(TotalVariationLoss()(ctx_of(img)),
                               torch.tensor(2.0))
    weighted = TotalVariationLoss(loss_weight=1e-3, pixel_scale=1.0)
    torch.testing.assert_close(weighted(ctx_of(img)), torch.tensor(0.51))


def test_total_variation_loops_and_gradient():
    torch.manual_seed(0)
    img = torch.rand(2, 3, 5, 4, requires_grad=True)
    loss = TotalVariationLoss(pixel_scale=1.0)(ctx_of(img))
    x = img.detach()
    expected = 0.
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        diffs = []
        for i in range(5 - dy):
            for j in range(4 - abs(dx)):
                j0 = j if dx >= 0 else j + 1
                diffs.append((x[..., i + dy, j0 + dx] - x[..., i, j0]).abs())
        expected += torch.stack(diffs).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert img.grad.abs().sum() > 0
    assert TotalVariationLoss()(ctx_of(torch.full((1, 1, 4, 4), 7.))) == 0


def test_registry():
    term = MODELS.build(dict(type='TotalVariationLoss', loss_weight=2.0))
    assert isinstance(term, TotalVariationLoss) and term.loss_weight == 2.0
