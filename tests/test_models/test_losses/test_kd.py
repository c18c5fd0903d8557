import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from mmdfkd.models.algorithms.task_adapter import logits_to_rows
from mmdfkd.models.losses import (AttentionTransferLoss, DistillContext,
                                  KLDivergenceLoss, L1LogitsLoss)
from mmdfkd.registry import MODELS
from toy_nets import (NUM_CLASSES, TinyClassifier, TinySegmenter,
                      assert_no_grads, assert_nonzero_finite_grads,
                      build_context, latents, make_generator, make_student,
                      make_teacher, zero_grads)


def ctx_of(teacher_logits,
           student_logits,
           teacher_feats=None,
           student_feats=None):
    return DistillContext(
        images=torch.zeros(1, 3, 2, 2),
        teacher_logits=teacher_logits,
        student_logits=student_logits,
        teacher_feats=teacher_feats or {},
        student_feats=student_feats or {})


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


def random_rows(seed, m=5, c=NUM_CLASSES):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(m, c, generator=g) * 3,
            torch.randn(m, c, generator=g) * 3)


# ================================================================== KL


def test_kl_hand_picked_with_temperature():
    # p_T = (1/2, 1/2), p_S = (3/4, 1/4): KL = 1/2 log(4/3).
    t = torch.tensor([[0., 0.]])
    s = torch.tensor([[math.log(3.), 0.]])
    assert_close(KLDivergenceLoss()(ctx_of(t, s)),
                 torch.tensor(0.5 * math.log(4 / 3)))
    # tau = 2 on doubled logits: same probabilities, times tau² = 4.
    assert_close(
        KLDivergenceLoss(tau=2.)(ctx_of(t, 2 * s)),
        torch.tensor(2 * math.log(4 / 3)))
    # identical logits: 0
    assert_close(KLDivergenceLoss(tau=3.)(ctx_of(s, s)), torch.tensor(0.))


@pytest.mark.parametrize('tau', [1., 6., 20.])
def test_kl_random_rows_match_loops(tau):
    t, s = random_rows(0)
    assert_close(
        KLDivergenceLoss(tau=tau)(ctx_of(t, s)), reference_kl(t, s, tau))


def test_kl_gradient_wrt_student_by_hand():
    # d/dS of tau²·KL(p_T || p_S), row mean = tau (p_S - p_T) / M
    t, s0 = random_rows(1, m=4)
    tau = 4.
    s = s0.clone().requires_grad_(True)
    t = t.requires_grad_(True)
    KLDivergenceLoss(tau=tau)(ctx_of(t, s)).backward()
    expected = tau * (F.softmax(s0 / tau, 1) - F.softmax(t / tau, 1)) / 4
    assert_close(s.grad, expected.detach())
    assert t.grad is None  # the teacher is detached


def test_kl_segmentation_rows_per_pixel_mean():
    g = torch.Generator().manual_seed(2)
    t = torch.randn(2, 3, 4, 4, generator=g)
    s = torch.randn(2, 3, 2, 2, generator=g)
    size, tau = (4, 4), 2.
    ctx = ctx_of(logits_to_rows(t, size), logits_to_rows(s, size))
    s_up = F.interpolate(s, size=size, mode='bilinear', align_corners=False)
    per_pixel = []
    for i in range(2):
        for y in range(4):
            for x in range(4):
                log_pt = F.log_softmax(t[i, :, y, x] / tau, 0)
                log_ps = F.log_softmax(s_up[i, :, y, x] / tau, 0)
                per_pixel.append((log_pt.exp() * (log_pt - log_ps)).sum())
    expected = tau**2 * torch.stack(per_pixel).mean()
    assert_close(KLDivergenceLoss(tau=tau)(ctx), expected)


@pytest.mark.parametrize('tau', [0., -1.])
def test_kl_non_positive_tau_raises(tau):
    with pytest.raises(ValueError, match='tau'):
        KLDivergenceLoss(tau=tau)


# ================================================================== L1


def test_l1_hand_picked():
    s = torch.tensor([[1., 2.], [3., 4.]])
    t = torch.tensor([[0., 4.], [3., 1.]])  # |S - T| = 1, 2, 0, 3
    assert_close(L1LogitsLoss()(ctx_of(t, s)), torch.tensor(1.5))


def test_l1_random_rows_match_loops():
    t, s = random_rows(3)
    expected = sum(
        abs(a - b) for ra, rb in zip(s.tolist(), t.tolist())
        for a, b in zip(ra, rb)) / t.numel()
    assert_close(L1LogitsLoss()(ctx_of(t, s)), torch.tensor(expected))


def test_l1_gradient_wrt_student_by_hand():
    t, s0 = random_rows(4, m=3, c=4)
    s = s0.clone().requires_grad_(True)
    t = t.requires_grad_(True)
    L1LogitsLoss()(ctx_of(t, s)).backward()
    assert_close(s.grad, torch.sign(s0 - t.detach()) / 12)
    assert t.grad is None  # the teacher is detached


def test_l1_segmentation_rows_per_pixel_mean():
    g = torch.Generator().manual_seed(5)
    t = torch.randn(2, 3, 4, 4, generator=g)
    s = torch.randn(2, 3, 2, 2, generator=g)
    ctx = ctx_of(logits_to_rows(t, (4, 4)), logits_to_rows(s, (4, 4)))
    s_up = F.interpolate(s, size=(4, 4), mode='bilinear', align_corners=False)
    assert_close(L1LogitsLoss()(ctx), (s_up - t).abs().mean())


def test_logit_terms_loss_weight_scales():
    t, s = random_rows(6)
    ctx = ctx_of(t, s)
    assert_close(
        KLDivergenceLoss(tau=2., loss_weight=3.)(ctx),
        3. * KLDivergenceLoss(tau=2.)(ctx))
    assert_close(L1LogitsLoss(loss_weight=0.5)(ctx), 0.5 * L1LogitsLoss()(ctx))


# ------------------------------------------- gradient routing (KL and L1)

LOGIT_TERMS = [KLDivergenceLoss(tau=4.), L1LogitsLoss()]


@pytest.mark.parametrize('term', LOGIT_TERMS)
@pytest.mark.parametrize('net', [TinyClassifier, TinySegmenter])
def test_student_step_reaches_student_only(term, net):
    """As in the student step: the student sees G(z).detach(). The teacher
    side is detached inside the term, so nothing reaches the generator."""
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
    assert_nonzero_finite_grads(student)
    assert_no_grads(generator)
    assert_no_grads(teacher)


@pytest.mark.parametrize('term', LOGIT_TERMS)
def test_teacher_branch_contributes_no_gradient(term):
    """With both nets on the generator's images, the generator gradient is
    exactly the student branch's: the teacher branch adds nothing."""
    generator, teacher, student = (make_generator(), make_teacher(),
                                   make_student())
    z = latents(4)

    def generator_grads(detach_teacher_input):
        zero_grads(generator)
        zero_grads(student)
        images = generator(z)
        t_in = images.detach() if detach_teacher_input else images
        ctx = build_context(t_in, teacher, student, student_images=images)
        term(ctx).backward()
        return [p.grad.clone() for p in generator.parameters()]

    for both, student_only in zip(
            generator_grads(False), generator_grads(True)):
        assert both.abs().sum() > 0
        assert_close(both, student_only)


# ================================================== attention transfer


def test_attention_hand_picked():
    # pair 1 (C=2, 1×2): teacher mean_c F² = (1, 0) -> normalised (1, 0);
    #   student (0, 2) -> (0, 1); squared differences (1, 1): mean 1.
    # pair 2 (2×2): teacher all ones -> (1/2, 1/2, 1/2, 1/2);
    #   student only a 2 at the corner -> (1, 0, 0, 0);
    #   squared differences 1/4 each: mean 1/4.
    t_feats = {
        't1': torch.tensor([[[[1., 0.]], [[1., 0.]]]]),
        't2': torch.ones(1, 1, 2, 2),
    }
    s_feats = {
        's1': torch.tensor([[[[0., 2.]], [[0., 0.]]]]),
        's2': torch.tensor([[[[2., 0.], [0., 0.]]]]),
    }
    ctx = ctx_of(None, None, t_feats, s_feats)
    term = AttentionTransferLoss(['t1', 't2'], ['s1', 's2'])
    assert_close(term(ctx), torch.tensor(1.25))
    assert_close(AttentionTransferLoss(['t2'], ['s2'])(ctx), torch.tensor(.25))
    assert_close(
        AttentionTransferLoss(['t1', 't2'], ['s1', 's2'],
                              loss_weight=250.)(ctx), torch.tensor(312.5))


def test_attention_is_scale_invariant_and_zero_on_equal_maps():
    g = torch.Generator().manual_seed(7)
    f = torch.randn(2, 3, 4, 4, generator=g)
    ctx = ctx_of(None, None, {'t': f}, {'s': 5 * f, 'neg': -f})
    assert_close(
        AttentionTransferLoss(['t'], ['s'])(ctx),
        torch.tensor(0.),
        atol=1e-7,
        rtol=0)
    # F² ignores the sign
    assert_close(
        AttentionTransferLoss(['t'], ['neg'])(ctx),
        torch.tensor(0.),
        atol=1e-7,
        rtol=0)


def reference_attention(feat, size=None):
    """mean_c F² per position (loop over channels), resized to ``size`` if
    needed, L2-normalised per sample; N×(H·W)."""
    att = torch.zeros(feat.shape[0], 1, *feat.shape[-2:])
    for c in range(feat.shape[1]):
        att += feat[:, c:c + 1]**2 / feat.shape[1]
    if size is not None and tuple(att.shape[-2:]) != tuple(size):
        att = F.interpolate(
            att, size=size, mode='bilinear', align_corners=False)
    att = att.flatten(1)
    return att / att.pow(2).sum(1, keepdim=True).sqrt()


def test_attention_on_nets_with_resize():
    """Teacher stages at 6×6 and 3×3, student stages both at 6×6 and of
    other widths: the student's 6×6 second map is resized to 3×3."""
    teacher = make_teacher()
    student = make_student(widths=(3, 5), stride2=1)
    images = make_generator()(latents(3)).detach()
    t_layers, s_layers = ['layer1', 'layer2'], ['layer1', 'layer2']
    ctx = build_context(
        images,
        teacher,
        student,
        teacher_records=t_layers,
        student_records=s_layers)
    assert ctx.teacher_feats['layer2'].shape[-2:] == (3, 3)
    assert ctx.student_feats['layer2'].shape[-2:] == (6, 6)

    expected = 0.
    for tn, sn in zip(t_layers, s_layers):
        t_feat, s_feat = ctx.teacher_feats[tn], ctx.student_feats[sn]
        t_att = reference_attention(t_feat)
        s_att = reference_attention(s_feat, t_feat.shape[-2:])
        expected = expected + ((s_att - t_att)**2).mean()
    term = AttentionTransferLoss(t_layers, s_layers)
    assert_close(term(ctx), expected)
    assert tuple(term.teacher_records) == ('layer1', 'layer2')
    assert tuple(term.student_records) == ('layer1', 'layer2')


def test_attention_gradient_reaches_student_features_only():
    g = torch.Generator().manual_seed(8)
    t = torch.rand(2, 3, 4, 4, generator=g).requires_grad_(True)
    s = torch.rand(2, 2, 2, 2, generator=g).requires_grad_(True)
    AttentionTransferLoss(['t'], ['s'])(ctx_of(None, None, {'t': t},
                                               {'s': s})).backward()
    assert t.grad is None  # the teacher is detached
    assert s.grad is not None and s.grad.abs().sum() > 0


def test_attention_student_step_reaches_student_only():
    generator, teacher, student = (make_generator(), make_teacher(),
                                   make_student())
    images = generator(latents(4))
    ctx = build_context(
        images,
        teacher,
        student,
        student_images=images.detach(),
        teacher_records=['layer1', 'layer2'],
        student_records=['layer1', 'layer2'])
    AttentionTransferLoss(['layer1', 'layer2'],
                          ['layer1', 'layer2'])(ctx).backward()
    assert_no_grads(generator)
    assert_no_grads(teacher)
    # the head does not take part in attention transfer
    for name, p in student.named_parameters():
        if name.startswith('layer'):
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert sum(p.grad.abs().sum() for n, p in student.named_parameters()
               if n.startswith('layer')) > 0


@pytest.mark.parametrize('t_layers,s_layers', [
    (['layer1', 'layer2'], ['layer1']),
    (['layer1'], []),
    ([], []),
])
def test_attention_mismatched_layers_raise(t_layers, s_layers):
    with pytest.raises(ValueError, match='layers'):
        AttentionTransferLoss(t_layers, s_layers)


# ============================================================ registry


def test_build_from_registry():
    kl = MODELS.build(dict(type='KLDivergenceLoss', tau=20, loss_weight=2))
    assert isinstance(kl, KLDivergenceLoss)
    assert kl.tau == 20. and kl.loss_weight == 2.
    assert isinstance(MODELS.build(dict(type='L1LogitsLoss')), L1LogitsLoss)
    at = MODELS.build(
        dict(
            type='AttentionTransferLoss',
            teacher_layers=['layer1', 'layer2'],
            student_layers=['layer1', 'layer2'],
            loss_weight=250.))
    assert isinstance(at, AttentionTransferLoss)
    assert at.teacher_layers == ('layer1', 'layer2')
    assert at.loss_weight == 250.
    for term in (kl, at, L1LogitsLoss()):
        assert term.needs_student
