import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from mmdfkd.models.algorithms.task_adapter import logits_to_rows
from mmdfkd.models.losses import (AdversarialKLLoss, AdversarialL1Loss,
                                  DistillContext)
from mmdfkd.registry import MODELS
from toy_nets import (NUM_CLASSES, TinyClassifier, TinySegmenter,
                      assert_no_grads, assert_nonzero_finite_grads,
                      build_context, latents, make_generator, make_student,
                      make_teacher, zero_grads)

S_HAND = torch.tensor([[1., 2.], [3., 4.]])
T_HAND = torch.tensor([[0., 4.], [3., 1.]])  # |S - T| = 1, 2, 0, 3


def ctx_of(teacher_logits, student_logits):
    return DistillContext(
        images=torch.zeros(1, 3, 2, 2),
        teacher_logits=teacher_logits,
        student_logits=student_logits)


def reference_kl(t_rows, s_rows, tau):
    """tau² · Σ_c p_T (log p_T - log p_S), mean over rows, by loops."""
    total = 0.
    for t, s in zip(t_rows.tolist(), s_rows.tolist()):
        zt = sum(math.exp(v / tau) for v in t)
        zs = sum(math.exp(v / tau) for v in s)
        for tv, sv in zip(t, s):
            pt, ps = math.exp(tv / tau) / zt, math.exp(sv / tau) / zs
            total += pt * (math.log(pt) - math.log(ps))
    return torch.tensor(tau * tau * total / len(t_rows))


# ---------------------------------------------------------------- values


def test_l1_hand_picked():
    # mean |S - T| = (1 + 2 + 0 + 3) / 4 = 1.5
    ctx = ctx_of(T_HAND, S_HAND)
    assert_close(AdversarialL1Loss()(ctx), torch.tensor(-1.5))
    assert_close(
        AdversarialL1Loss(form='neg_log1p')(ctx), torch.tensor(-math.log(2.5)))


def test_kl_hand_picked_with_temperature():
    # p_T = (1/2, 1/2), p_S = (3/4, 1/4):
    # KL = 1/2 log(2/3) + 1/2 log 2 = 1/2 log(4/3).
    t = torch.tensor([[0., 0.]])
    s = torch.tensor([[math.log(3.), 0.]])
    assert_close(AdversarialKLLoss()(ctx_of(t, s)),
                 torch.tensor(-0.5 * math.log(4 / 3)))
    # Same probabilities at tau = 2 with doubled logits, times tau² = 4.
    assert_close(
        AdversarialKLLoss(tau=2.)(ctx_of(t, 2 * s)),
        torch.tensor(-2 * math.log(4 / 3)))


@pytest.mark.parametrize('tau', [1., 4.])
def test_kl_random_rows_match_loops(tau):
    g = torch.Generator().manual_seed(0)
    t = torch.randn(5, NUM_CLASSES, generator=g) * 3
    s = torch.randn(5, NUM_CLASSES, generator=g) * 3
    assert_close(
        AdversarialKLLoss(tau=tau)(ctx_of(t, s)), -reference_kl(t, s, tau))


def test_kl_temperature_is_used():
    g = torch.Generator().manual_seed(1)
    t, s = torch.randn(2, 4, 4, generator=g)
    v1 = AdversarialKLLoss(tau=1.)(ctx_of(t, s))
    v4 = AdversarialKLLoss(tau=4.)(ctx_of(t, s))
    assert not torch.allclose(v1, v4)


def test_loss_weight_scales():
    ctx = ctx_of(T_HAND, S_HAND)
    for make in (lambda w: AdversarialL1Loss('neg', loss_weight=w),
                 lambda w: AdversarialL1Loss('neg_log1p', loss_weight=w),
                 lambda w: AdversarialKLLoss(tau=3., loss_weight=w)):
        assert_close(make(0.5)(ctx), 0.5 * make(1.)(ctx))


# ------------------------------------------------------ segmentation rows


def seg_logits(seed=2, n=2, c=3):
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(n, c, 4, 4, generator=g)
    s = torch.randn(n, c, 2, 2, generator=g)  # lower resolution
    return t, s


def test_segmentation_rows_per_pixel_mean():
    t, s = seg_logits()
    size = (4, 4)
    ctx = ctx_of(logits_to_rows(t, size), logits_to_rows(s, size))
    s_up = F.interpolate(s, size=size, mode='bilinear', align_corners=False)

    l1 = (s_up - t).abs().mean()  # over N×C×H×W
    assert_close(AdversarialL1Loss()(ctx), -l1)
    assert_close(AdversarialL1Loss('neg_log1p')(ctx), -torch.log1p(l1))

    tau = 2.
    per_pixel = []
    for i in range(t.shape[0]):
        for y in range(4):
            for x in range(4):
                pt = F.softmax(t[i, :, y, x] / tau, 0)
                ps = F.softmax(s_up[i, :, y, x] / tau, 0)
                per_pixel.append((pt * (pt.log() - ps.log())).sum())
    expected = tau**2 * torch.stack(per_pixel).mean()
    assert_close(AdversarialKLLoss(tau=tau)(ctx), -expected)


# --------------------------------------------------------------- gradients


@pytest.mark.parametrize('term', [
    AdversarialL1Loss('neg'),
    AdversarialL1Loss('neg_log1p'),
    AdversarialKLLoss(tau=2.)
])
def test_teacher_logits_are_not_detached(term):
    g = torch.Generator().manual_seed(3)
    t = torch.randn(3, 4, generator=g).requires_grad_(True)
    s = torch.randn(3, 4, generator=g).requires_grad_(True)
    term(ctx_of(t, s)).backward()
    assert t.grad is not None and t.grad.abs().sum() > 0
    assert s.grad is not None and s.grad.abs().sum() > 0


def test_l1_gradient_wrt_teacher_by_hand():
    # d(-mean|S - T|)/dT = sign(S - T) / (M·C)
    t = T_HAND.clone().requires_grad_(True)
    AdversarialL1Loss()(ctx_of(t, S_HAND)).backward()
    assert_close(t.grad, torch.sign(S_HAND - T_HAND) / 4)


def test_kl_gradient_wrt_teacher_matches_formula():
    g = torch.Generator().manual_seed(4)
    t0, s0 = torch.randn(2, 3, 5, generator=g)
    tau = 3.
    t = t0.clone().requires_grad_(True)
    AdversarialKLLoss(tau=tau)(ctx_of(t, s0)).backward()
    t_ref = t0.clone().requires_grad_(True)
    log_pt = F.log_softmax(t_ref / tau, 1)
    log_ps = F.log_softmax(s0 / tau, 1)
    (-tau**2 * (log_pt.exp() * (log_pt - log_ps)).sum(1).mean()).backward()
    assert_close(t.grad, t_ref.grad)


TERMS = [
    AdversarialL1Loss('neg'),
    AdversarialL1Loss('neg_log1p'),
    AdversarialKLLoss(tau=2.)
]


@pytest.mark.parametrize('term', TERMS)
@pytest.mark.parametrize('net', [TinyClassifier, TinySegmenter])
def test_gradient_flows_to_generator_through_the_teacher(term, net):
    """With the student fed detached images, the only path from the loss to
    the generator is through the teacher: it must carry gradient."""
    generator, teacher, student = (make_generator(), make_teacher(net),
                                   make_student(net))
    images = generator(latents(4))
    ctx = build_context(
        images,
        teacher,
        student,
        student_images=images.detach(),
        size=(6, 6) if net is TinySegmenter else None)
    term(ctx).backward()
    assert_nonzero_finite_grads(generator)
    assert_no_grads(teacher)


@pytest.mark.parametrize('term', TERMS)
def test_generator_gradient_is_the_sum_of_both_branches(term):
    """Full gradient = (teacher branch only) + (student branch only): the
    teacher branch is neither detached nor counted twice."""
    generator, teacher, student = (make_generator(), make_teacher(),
                                   make_student())
    z = latents(4)

    def grads(detach_teacher, detach_student):
        zero_grads(generator)
        images = generator(z)
        t_in = images.detach() if detach_teacher else images
        s_in = images.detach() if detach_student else images
        ctx = build_context(t_in, teacher, student, student_images=s_in)
        term(ctx).backward()
        return [p.grad.clone() for p in generator.parameters()]

    full = grads(False, False)
    t_only = grads(False, True)
    s_only = grads(True, False)
    for f, a, b in zip(full, t_only, s_only):
        assert a.abs().sum() > 0 and b.abs().sum() > 0
        assert_close(f, a + b, rtol=1e-4, atol=1e-7)


# ------------------------------------------------------- errors, registry


def test_invalid_form_raises():
    with pytest.raises(ValueError, match='form'):
        AdversarialL1Loss(form='log1p')


def test_declares_it_needs_the_student():
    assert AdversarialL1Loss().needs_student
    assert AdversarialKLLoss().needs_student


def test_builds_from_registry():
    l1 = MODELS.build(
        dict(type='AdversarialL1Loss', form='neg_log1p', loss_weight=2.))
    assert isinstance(l1, AdversarialL1Loss)
    assert l1.form == 'neg_log1p' and l1.loss_weight == 2.
    kl = MODELS.build(dict(type='AdversarialKLLoss', tau=4.))
    assert isinstance(kl, AdversarialKLLoss)
    assert kl.tau == 4. and kl.loss_weight == 1.


# --------------------------------------------------------------- CMI / ADI
def _rows_ctx(t, s):
    return DistillContext(
        images=torch.zeros(1), teacher_logits=t, student_logits=s)


def test_masked_adversarial_kl_by_hand():
    from mmdfkd.models.losses import MaskedAdversarialKLLoss
    t = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    s = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    # rows 0 and 2 agree on argmax (class 0; ties resolve to index 0)
    def kl(a, b):
        pa, pb = a.softmax(0), b.softmax(0)
        return (pa * (pa.log() - pb.log())).sum()
    expected = -(kl(t[0], s[0]) + kl(t[2], s[2])) / 3
    torch.testing.assert_close(MaskedAdversarialKLLoss()(_rows_ctx(t, s)),
                               expected)
    # all rows disagree → nothing to push
    flipped = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert MaskedAdversarialKLLoss()(_rows_ctx(t, flipped)) == 0
    with pytest.raises(ValueError, match='tau'):
        MaskedAdversarialKLLoss(tau=0)


def test_adversarial_js_by_hand():
    from mmdfkd.models.losses import AdversarialJSLoss
    t = torch.tensor([[3.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    s = torch.tensor([[0.0, 2.0, 0.0], [0.5, 0.5, 0.0]])

    def js(tau):
        p, q = (t / tau).softmax(1), (s / tau).softmax(1)
        m = (p + q) / 2
        return (0.5 * (p * (p / m).log()).sum(1) +
                0.5 * (q * (q / m).log()).sum(1))

    # τ = 3 by default, as in DeepInversion's code
    torch.testing.assert_close(AdversarialJSLoss()(_rows_ctx(t, s)),
                               1 - js(3.0).mean())
    torch.testing.assert_close(
        AdversarialJSLoss(tau=1.0)(_rows_ctx(t, s)), 1 - js(1.0).mean())
    with pytest.raises(ValueError, match='tau'):
        AdversarialJSLoss(tau=0)
    # identical outputs: JS = 0, the term is at its maximum 1
    torch.testing.assert_close(AdversarialJSLoss()(_rows_ctx(t, t)),
                               torch.tensor(1.0))
    # gradients reach both sides (the competition is with the teacher too)
    t_, s_ = t.clone().requires_grad_(), s.clone().requires_grad_()
    AdversarialJSLoss()(_rows_ctx(t_, s_)).backward()
    assert t_.grad.abs().sum() > 0 and s_.grad.abs().sum() > 0
