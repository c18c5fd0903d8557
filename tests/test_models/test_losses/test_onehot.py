import math

import pytest
import torch
from torch.testing import assert_close

from mmdfkd.models.algorithms.task_adapter import logits_to_rows
from mmdfkd.models.losses import DistillContext, OneHotLoss
from mmdfkd.registry import MODELS
from toy_nets import (NUM_CLASSES, TinySegmenter, assert_no_grads,
                      assert_nonzero_finite_grads, build_context, latents,
                      make_generator, make_teacher)


def ctx_of(logits, labels=None, rows_per_sample=1):
    return DistillContext(
        images=torch.zeros(1, 3, 2, 2),
        teacher_logits=logits,
        labels=labels,
        rows_per_sample=rows_per_sample)


def reference_ce(logits, targets):
    """Mean over rows of -log softmax(row)[target], by explicit loops."""
    total = 0.
    for row, t in zip(logits.tolist(), targets):
        log_z = math.log(sum(math.exp(v) for v in row))
        total += log_z - row[t]
    return torch.tensor(total / len(targets))


HAND_LOGITS = torch.tensor([[2., 1., 0.], [0., 0., 3.]])


def test_hand_picked_argmax():
    # argmax targets (0, 2):
    # row 0: log(e^2 + e + 1) - 2; row 1: log(2 + e^3) - 3.
    expected = ((math.log(math.e**2 + math.e + 1) - 2) +
                (math.log(2 + math.e**3) - 3)) / 2
    loss = OneHotLoss(target='argmax')(ctx_of(HAND_LOGITS))
    assert_close(loss, torch.tensor(expected))


def test_hand_picked_sampled():
    # sampled labels (1, 0):
    # row 0: log(e^2 + e + 1) - 1; row 1: log(2 + e^3) - 0.
    expected = (
        (math.log(math.e**2 + math.e + 1) - 1) + math.log(2 + math.e**3)) / 2
    loss = OneHotLoss(target='sampled')(
        ctx_of(HAND_LOGITS, labels=torch.tensor([1, 0])))
    assert_close(loss, torch.tensor(expected))


def test_random_rows_match_loops():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, NUM_CLASSES, generator=g) * 3
    labels = torch.randint(NUM_CLASSES, (6, ), generator=g)
    argmax = [
        max(range(NUM_CLASSES), key=lambda c: row[c])
        for row in logits.tolist()
    ]
    assert_close(
        OneHotLoss('argmax')(ctx_of(logits)), reference_ce(logits, argmax))
    assert_close(
        OneHotLoss('sampled')(ctx_of(logits, labels)),
        reference_ce(logits, labels.tolist()))


def test_segmentation_rows_use_per_pixel_targets():
    """Per-pixel rows: 'sampled' gives every pixel its image's label,
    'argmax' each pixel's own prediction; the loss is the pixel mean."""
    g = torch.Generator().manual_seed(1)
    n, c, h, w = 2, NUM_CLASSES, 3, 2
    logits = torch.randn(n, c, h, w, generator=g) * 2
    labels = torch.tensor([3, 1])
    rows = logits_to_rows(logits)
    ctx = ctx_of(rows, labels, rows_per_sample=h * w)

    sampled, argmax = [], []
    for i in range(n):
        for y in range(h):
            for x in range(w):
                pix = logits[i, :, y, x]
                log_p = pix - torch.logsumexp(pix, 0)
                sampled.append(-log_p[labels[i]])
                argmax.append(-log_p.max())
    assert_close(OneHotLoss('sampled')(ctx), torch.stack(sampled).mean())
    assert_close(OneHotLoss('argmax')(ctx), torch.stack(argmax).mean())


def test_loss_weight_scales():
    ctx = ctx_of(HAND_LOGITS, torch.tensor([1, 0]))
    for target in ('argmax', 'sampled'):
        base = OneHotLoss(target)(ctx)
        assert_close(OneHotLoss(target, loss_weight=0.25)(ctx), 0.25 * base)


def test_argmax_target_is_not_differentiated():
    """Only the log-softmax side carries gradient: d/dlogits of CE with a
    fixed target is (softmax - onehot) / M."""
    logits = HAND_LOGITS.clone().requires_grad_(True)
    OneHotLoss('argmax')(ctx_of(logits)).backward()
    onehot = torch.tensor([[1., 0., 0.], [0., 0., 1.]])
    expected = (HAND_LOGITS.softmax(1) - onehot) / 2
    assert_close(logits.grad, expected)


@pytest.mark.parametrize('target', ['argmax', 'sampled'])
def test_gradient_reaches_generator_not_teacher(target):
    generator, teacher = make_generator(), make_teacher()
    ctx = build_context(
        generator(latents(4)), teacher, labels=torch.tensor([0, 1, 2, 3]))
    OneHotLoss(target)(ctx).backward()
    assert_nonzero_finite_grads(generator)
    assert_no_grads(teacher)


def test_gradient_reaches_generator_segmentation():
    generator = make_generator()
    teacher = make_teacher(TinySegmenter)
    ctx = build_context(
        generator(latents(2)),
        teacher,
        labels=torch.tensor([4, 2]),
        size=(6, 6))
    assert ctx.rows_per_sample == 36
    assert ctx.teacher_logits.shape == (2 * 36, NUM_CLASSES)
    OneHotLoss('sampled')(ctx).backward()
    assert_nonzero_finite_grads(generator)
    assert_no_grads(teacher)


def test_sampled_without_labels_raises():
    with pytest.raises(ValueError, match='labels'):
        OneHotLoss('sampled')(ctx_of(HAND_LOGITS))


def test_argmax_without_labels_is_fine():
    OneHotLoss('argmax')(ctx_of(HAND_LOGITS))


def test_invalid_target_raises():
    with pytest.raises(ValueError, match='target'):
        OneHotLoss(target='random')


def test_builds_from_registry():
    term = MODELS.build(
        dict(type='OneHotLoss', target='sampled', loss_weight=0.5))
    assert isinstance(term, OneHotLoss)
    assert term.target == 'sampled'
    assert term.loss_weight == 0.5
    assert not term.needs_student and not term.needs_bn_moments
