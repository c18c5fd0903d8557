import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from mmdfkd.models.algorithms.recorders import BNMomentsRecorder
from mmdfkd.models.losses import BNMoments, BNStatisticsLoss, DistillContext
from mmdfkd.registry import MODELS
from toy_nets import (DIST_SPLIT, assert_no_grads, assert_nonzero_finite_grads,
                      build_context, dist_latents, latents, make_generator,
                      make_teacher, terms_values_and_grads)


def hand_picked_input():
    """N=2, C=2, H=1, W=2.

    channel 0 takes 1, 3, 5, 7: mean 4, biased variance (9+1+1+9)/4 = 5;
    channel 1 takes 0, 0, 2, 2: mean 1, biased variance 1.
    """
    x = torch.tensor([[[[1., 3.]], [[0., 0.]]], [[[5., 7.]], [[2., 2.]]]])
    return x


def single_bn(running_mean, running_var) -> nn.Module:
    bn = nn.BatchNorm2d(len(running_mean))
    bn.running_mean.copy_(torch.tensor(running_mean))
    bn.running_var.copy_(torch.tensor(running_var))
    return bn.eval().requires_grad_(False)


def moments_of(model: nn.Module, x: torch.Tensor):
    rec = BNMomentsRecorder(model)
    rec.start()
    model(x)
    return rec.stop()


def ctx_with(moments) -> DistillContext:
    return DistillContext(
        images=torch.zeros(1, 3, 2, 2),
        teacher_logits=torch.zeros(1, 2),
        bn_moments=moments)


def reference_bn_loss(bn_inputs, bn_layers, mode, eps=1e-5):
    """Direct formula from the batch mean / biased variance of each BN
    input over (N, H, W)."""
    total = 0.
    for x, bn in zip(bn_inputs, bn_layers):
        mean = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        if mode == 'l2':
            total = total + (mean - bn.running_mean).norm() + \
                (var - bn.running_var).norm()
        else:
            terms = []
            for c in range(x.shape[1]):
                v, rv = var[c] + eps, bn.running_var[c] + eps
                d2 = (mean[c] - bn.running_mean[c])**2
                # KL(N(m, v) || N(m_run, v_run)), closed form
                terms.append(0.5 * torch.log(rv / v) + (v + d2) / (2 * rv) -
                             0.5)
            total = total + torch.stack(terms).mean()
    return total


def capture_bn_inputs(model: nn.Module, x: torch.Tensor):
    """BN inputs captured with plain hooks of the test's own."""
    inputs, layers, handles = [], [], []
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            layers.append(m)
            handles.append(
                m.register_forward_pre_hook(
                    lambda mod, args: inputs.append(args[0])))
    out = model(x)
    for h in handles:
        h.remove()
    return out, inputs, layers


def test_hand_picked_l2():
    # batch mean (4, 1), batch var (5, 1); running (1, 1) and (1, 1):
    # ||(3, 0)|| + ||(4, 0)|| = 3 + 4 = 7.
    bn = single_bn([1., 1.], [1., 1.])
    loss = BNStatisticsLoss(mode='l2')(
        ctx_with(moments_of(bn, hand_picked_input())))
    assert_close(loss, torch.tensor(7.))


def test_hand_picked_l2_two_channels_nonzero():
    # running mean (0, 3), running var (2, 3): mean diff (4, -2),
    # var diff (3, -2): sqrt(20) + sqrt(13).
    bn = single_bn([0., 3.], [2., 3.])
    loss = BNStatisticsLoss(mode='l2')(
        ctx_with(moments_of(bn, hand_picked_input())))
    assert_close(loss, torch.tensor(math.sqrt(20.) + math.sqrt(13.)))


def test_hand_picked_gaussian_kl():
    # channel 0: 0.5 * (log(1/5) + (5 + 3^2)/1 - 1) = 0.5 * (13 - log 5);
    # channel 1: 0.5 * (log(1/1) + (1 + 0)/1 - 1) = 0; mean over channels.
    bn = single_bn([1., 1.], [1., 1.])
    loss = BNStatisticsLoss(
        mode='gaussian_kl', eps=0.)(
            ctx_with(moments_of(bn, hand_picked_input())))
    assert_close(loss, torch.tensor(0.25 * (13 - math.log(5.))))


def test_gaussian_kl_eps_is_added_to_both_variances():
    bn = single_bn([1., 1.], [1., 1.])
    eps = 0.5
    loss = BNStatisticsLoss(
        mode='gaussian_kl', eps=eps)(
            ctx_with(moments_of(bn, hand_picked_input())))
    ch0 = 0.5 * (
        math.log((1 + eps) / (5 + eps)) + (5 + eps + 9) / (1 + eps) - 1)
    ch1 = 0.5 * (math.log((1 + eps) / (1 + eps)) + (1 + eps) / (1 + eps) - 1)
    assert_close(loss, torch.tensor((ch0 + ch1) / 2))


def test_hand_built_moments_summed_over_layers():
    # Two layers given directly as BNMoments (no recorder involved).
    # layer 1: one channel, d = x - run_mean takes 1, 3 -> sum 4, sq sum 10,
    #   mean shift 2, var 5 - 4 = 1, running var 3 -> 2 + |1 - 3| = 4.
    # layer 2: two channels, count 2; sums (0, 2), sq sums (2, 2):
    #   mean shift (0, 1), var (1, 0), running var (1, 0) -> 1 + 0 = 1.
    moments = [
        BNMoments(
            torch.tensor([4.]), torch.tensor([10.]), 2, torch.tensor([3.])),
        BNMoments(
            torch.tensor([0., 2.]), torch.tensor([2., 2.]), 2,
            torch.tensor([1., 0.])),
    ]
    loss = BNStatisticsLoss(mode='l2')(ctx_with(moments))
    assert_close(loss, torch.tensor(5.))
    # DeepInversion's ImageNet weighting: the first layer ×10
    loss = BNStatisticsLoss(mode='l2', first_layer_weight=10.)(
        ctx_with(moments))
    assert_close(loss, torch.tensor(10 * 4. + 1.))


@pytest.mark.parametrize('mode', ['l2', 'gaussian_kl'])
def test_matches_direct_statistics_on_teacher(mode):
    teacher = make_teacher()
    images = make_generator()(latents(4)).detach()
    _, inputs, layers = capture_bn_inputs(teacher, images)
    assert len(layers) == 2
    ctx = build_context(images, teacher)
    assert len(ctx.bn_moments) == 2
    loss = BNStatisticsLoss(mode=mode)(ctx)
    assert_close(loss, reference_bn_loss(inputs, layers, mode))


@pytest.mark.parametrize('mode', ['l2', 'gaussian_kl'])
def test_gradient_wrt_images_matches_direct_formula(mode):
    """The shifted-moment computation has the same gradient as the direct
    mean / variance formula."""
    teacher = make_teacher()
    base = make_generator()(latents(4)).detach()
    images = base.clone().requires_grad_(True)
    loss = BNStatisticsLoss(mode=mode)(build_context(images, teacher))
    (grad, ) = torch.autograd.grad(loss, images)

    images_ref = base.clone().requires_grad_(True)
    _, inputs, layers = capture_bn_inputs(teacher, images_ref)
    (grad_ref, ) = torch.autograd.grad(
        reference_bn_loss(inputs, layers, mode), images_ref)
    assert_close(grad, grad_ref, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('mode', ['l2', 'gaussian_kl'])
def test_loss_weight_scales(mode):
    teacher = make_teacher()
    ctx = build_context(make_generator()(latents(4)).detach(), teacher)
    base = BNStatisticsLoss(mode=mode)(ctx)
    assert_close(BNStatisticsLoss(mode=mode, loss_weight=2.5)(ctx), 2.5 * base)
    assert_close(
        BNStatisticsLoss(mode=mode, loss_weight=0.)(ctx), torch.tensor(0.))


@pytest.mark.parametrize('mode', ['l2', 'gaussian_kl'])
def test_gradient_reaches_generator_not_teacher(mode):
    generator, teacher = make_generator(), make_teacher()
    buffers = {k: v.clone() for k, v in teacher.state_dict().items()}
    loss = BNStatisticsLoss(mode=mode)(
        build_context(generator(latents(4)), teacher))
    loss.backward()
    assert_nonzero_finite_grads(generator)
    assert_no_grads(teacher)
    # The teacher stays in eval mode: its running statistics are untouched.
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, buffers[k]), k


def test_matching_running_statistics_gives_zero():
    # Set the running statistics to the batch ones: both forms vanish.
    x = hand_picked_input()
    bn = single_bn([4., 1.], [5., 1.])
    moments = moments_of(bn, x)
    assert_close(
        BNStatisticsLoss(mode='l2')(ctx_with(moments)), torch.tensor(0.))
    assert_close(
        BNStatisticsLoss(mode='gaussian_kl')(ctx_with(moments)),
        torch.tensor(0.),
        atol=1e-6,
        rtol=0)


def test_no_moments_raises():
    with pytest.raises(RuntimeError, match='BatchNorm'):
        BNStatisticsLoss()(ctx_with([]))


def test_invalid_mode_raises():
    with pytest.raises(ValueError, match='mode'):
        BNStatisticsLoss(mode='l1')


def test_declares_it_needs_bn_moments():
    term = BNStatisticsLoss()
    assert term.needs_bn_moments
    assert not term.needs_student
    assert tuple(term.teacher_records) == ()


def test_builds_from_registry():
    term = MODELS.build(
        dict(type='BNStatisticsLoss', mode='gaussian_kl', loss_weight=3.))
    assert isinstance(term, BNStatisticsLoss)
    assert term.mode == 'gaussian_kl'
    assert term.loss_weight == 3.
    assert isinstance(
        MODELS.build(dict(type='BNStatisticsLoss')), BNStatisticsLoss)


@pytest.mark.parametrize('name', ['bn_l2', 'bn_gaussian_kl'])
def test_two_processes_match_one_process(two_process_results, name):
    """Each rank holds part of the batch (3 and 5 of 8 images); the loss on
    every rank equals the one-process loss of the whole batch, and the
    generator gradients averaged over the ranks (what DDP does) equal the
    one-process gradients."""
    assert sum(DIST_SPLIT) == dist_latents().shape[0]
    ref = terms_values_and_grads(dist_latents())[name]
    for rank_result in two_process_results:
        assert_close(rank_result[name]['value'], ref['value'])
    for pname, grad in ref['grads'].items():
        mean_grad = sum(r[name]['grads'][pname]
                        for r in two_process_results) / 2
        assert_close(mean_grad, grad, rtol=1e-4, atol=1e-7)
    # A single rank alone (no reduction) would give another value.
    local = terms_values_and_grads(dist_latents()[:DIST_SPLIT[0]])[name]
    assert not torch.allclose(local['value'], ref['value'])


def test_momentum_target_blends_history_by_hand():
    """Fast DFKD's momentum target: after a round, the batch statistics are
    blended 0.9 · history + 0.1 · batch before the comparison."""
    from mmdfkd.models.losses import BNMoments, DistillContext

    def ctx(mean_shift, var):
        # one layer, 2 channels, count 1: sum = mean, sum of squares = var+m²
        m = torch.tensor(mean_shift)
        v = torch.tensor(var)
        return DistillContext(
            images=torch.zeros(1), teacher_logits=torch.zeros(1, 2),
            bn_moments=[BNMoments(m, v + m**2, 1, torch.ones(2))])

    term = BNStatisticsLoss(momentum=0.9)
    first = term(ctx([3.0, 4.0], [1.0, 1.0]))  # no history yet: batch alone
    torch.testing.assert_close(first, torch.tensor(5.0))
    term.end_round()  # history = batch 1
    blended = term(ctx([0.0, 0.0], [1.0, 1.0]))
    # mean 0.9·(3, 4) + 0.1·0 = (2.7, 3.6): norm 4.5; var matches: 0
    torch.testing.assert_close(blended, torch.tensor(4.5))
    state = term.get_extra_state()
    fresh = BNStatisticsLoss(momentum=0.9)
    fresh.set_extra_state(state)
    torch.testing.assert_close(fresh(ctx([0.0, 0.0], [1.0, 1.0])),
                               torch.tensor(4.5))
    with pytest.raises(ValueError, match='momentum'):
        BNStatisticsLoss(momentum=1.0)
