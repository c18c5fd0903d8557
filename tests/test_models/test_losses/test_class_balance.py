import math

import pytest
import torch
from torch.testing import assert_close

from mmdfkd.models.algorithms.task_adapter import logits_to_rows
from mmdfkd.models.losses import ClassBalanceLoss, DistillContext
from mmdfkd.registry import MODELS
from toy_nets import (DIST_SPLIT, NUM_CLASSES, TinyClassifier, TinySegmenter,
                      assert_no_grads, assert_nonzero_finite_grads,
                      build_context, dist_latents, latents, make_generator,
                      make_teacher, terms_values_and_grads)


def ctx_of(logits):
    return DistillContext(
        images=torch.zeros(1, 3, 2, 2), teacher_logits=logits)


def reference(logits):
    """Σ_c p̄_c log p̄_c with p̄ the row mean of the softmax, by loops."""
    rows = logits.tolist()
    mean_p = [0.] * len(rows[0])
    for row in rows:
        z = sum(math.exp(v) for v in row)
        for c, v in enumerate(row):
            mean_p[c] += math.exp(v) / z / len(rows)
    return torch.tensor(sum(p * math.log(p) for p in mean_p))


def test_hand_picked():
    # row 0 softmax (1/2, 1/2), row 1 softmax (3/4, 1/4):
    # p̄ = (5/8, 3/8) -> 5/8 log 5/8 + 3/8 log 3/8.
    logits = torch.tensor([[0., 0.], [math.log(3.), 0.]])
    expected = 5 / 8 * math.log(5 / 8) + 3 / 8 * math.log(3 / 8)
    assert_close(ClassBalanceLoss()(ctx_of(logits)), torch.tensor(expected))


def test_balanced_batch_reaches_minus_log_c():
    # Confident rows, one per class: p̄ is nearly uniform -> about -log C.
    logits = torch.eye(4) * 30
    assert_close(
        ClassBalanceLoss()(ctx_of(logits)),
        torch.tensor(-math.log(4.)),
        atol=1e-5,
        rtol=0)
    # All rows on one class: p̄ is one-hot -> 0.
    logits = torch.zeros(3, 4)
    logits[:, 2] = 30.
    assert_close(
        ClassBalanceLoss()(ctx_of(logits)),
        torch.tensor(0.),
        atol=1e-5,
        rtol=0)


def test_random_rows_match_loops():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(7, NUM_CLASSES, generator=g) * 2
    assert_close(ClassBalanceLoss()(ctx_of(logits)), reference(logits))


def test_segmentation_rows_average_over_pixels():
    g = torch.Generator().manual_seed(1)
    n, c, h, w = 2, 3, 2, 3
    logits = torch.randn(n, c, h, w, generator=g)
    # Direct: the mean of the per-pixel softmax over (N, H, W).
    mean_p = logits.softmax(dim=1).mean(dim=(0, 2, 3))
    expected = (mean_p * mean_p.log()).sum()
    loss = ClassBalanceLoss()(ctx_of(logits_to_rows(logits)))
    assert_close(loss, expected)


def test_loss_weight_scales():
    logits = torch.tensor([[0., 0.], [math.log(3.), 0.]])
    base = ClassBalanceLoss()(ctx_of(logits))
    assert_close(ClassBalanceLoss(loss_weight=5.)(ctx_of(logits)), 5 * base)


def test_gradient_matches_formula():
    g = torch.Generator().manual_seed(2)
    base = torch.randn(5, 4, generator=g)
    logits = base.clone().requires_grad_(True)
    ClassBalanceLoss()(ctx_of(logits)).backward()
    ref_logits = base.clone().requires_grad_(True)
    p_bar = ref_logits.softmax(1).mean(0)
    (p_bar * p_bar.log()).sum().backward()
    assert_close(logits.grad, ref_logits.grad)


@pytest.mark.parametrize('segmentation', [False, True])
def test_gradient_reaches_generator_not_teacher(segmentation):
    generator = make_generator()
    teacher = make_teacher(TinySegmenter if segmentation else TinyClassifier)
    ctx = build_context(generator(latents(4)), teacher)
    ClassBalanceLoss()(ctx).backward()
    assert_nonzero_finite_grads(generator)
    assert_no_grads(teacher)


def test_builds_from_registry():
    term = MODELS.build(dict(type='ClassBalanceLoss', loss_weight=20))
    assert isinstance(term, ClassBalanceLoss)
    assert term.loss_weight == 20.
    assert not term.needs_student and not term.needs_bn_moments


def test_two_processes_match_one_process(two_process_results):
    """Ranks hold 3 and 5 of the 8 images: p̄ is the global mean, so every
    rank sees the one-process value, and the generator gradients averaged
    over the ranks (as DDP does) are the one-process ones."""
    assert sum(DIST_SPLIT) == dist_latents().shape[0]
    ref = terms_values_and_grads(dist_latents())['class_balance']
    for rank_result in two_process_results:
        assert_close(rank_result['class_balance']['value'], ref['value'])
    for pname, grad in ref['grads'].items():
        mean_grad = sum(r['class_balance']['grads'][pname]
                        for r in two_process_results) / 2
        assert_close(mean_grad, grad, rtol=1e-4, atol=1e-9)
    local = terms_values_and_grads(
        dist_latents()[:DIST_SPLIT[0]])['class_balance']
    assert not torch.allclose(local['value'], ref['value'])
