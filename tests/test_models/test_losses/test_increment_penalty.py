import math

import pytest
import torch
from torch.testing import assert_close

from mmdfkd.models.losses import DistillContext, ExpIncrementPenalty
from mmdfkd.registry import MODELS


def ctx_of(logits):
    return DistillContext(images=torch.zeros(2, 1, 2, 2),
                          teacher_logits=logits)


def onehot_value(logits):
    """CE against the argmax, by hand."""
    total = 0.
    for row in logits.tolist():
        log_z = math.log(sum(math.exp(v) for v in row))
        total += log_z - max(row)
    return total / len(logits)


def test_penalty_is_one_before_a_snapshot_with_the_wrapped_gradient():
    term = ExpIncrementPenalty(loss=dict(type='OneHotLoss'))
    logits = torch.tensor([[2., 0., -1.], [0., 1., 0.]], requires_grad=True)
    value = term(ctx_of(logits))
    assert_close(value, torch.tensor(1.))
    value.backward()
    grad = logits.grad.clone()
    logits.grad = None
    MODELS.build(dict(type='OneHotLoss'))(ctx_of(logits)).backward()
    assert_close(grad, logits.grad)


def test_penalty_against_the_epoch_mean_snapshot():
    term = ExpIncrementPenalty(
        loss=dict(type='OneHotLoss', loss_weight=2.), loss_weight=3.)
    a = torch.tensor([[2., 0., -1.], [0., 1., 0.]])
    b = torch.tensor([[0., 0., 0.], [5., 0., 0.]])
    term(ctx_of(a))
    term(ctx_of(b))
    assert int(term.epoch_count) == 2
    term.refresh_snapshot()
    snapshot = (2 * onehot_value(a) + 2 * onehot_value(b)) / 2
    assert_close(term.snapshot, torch.tensor(snapshot))
    assert int(term.epoch_count) == 0 and float(term.epoch_sum) == 0
    # exp(L − L_prev), the weights inside and outside
    expected = 3 * math.exp(2 * onehot_value(a) - snapshot)
    with torch.no_grad():  # an evaluation: not counted in the epoch
        assert_close(term(ctx_of(a)), torch.tensor(expected))
    assert int(term.epoch_count) == 0
    # an epoch without updates keeps the snapshot
    term.refresh_snapshot()
    assert_close(term.snapshot, torch.tensor(snapshot))


def test_snapshot_refreshed_every_interval_updates():
    """The update after ``interval`` counted ones refreshes the snapshot to
    their mean before reading it; evaluations do not count."""
    term = ExpIncrementPenalty(loss=dict(type='OneHotLoss'), interval=2)
    a = torch.tensor([[2., 0., -1.], [0., 1., 0.]])
    b = torch.tensor([[0., 0., 0.], [5., 0., 0.]])
    term(ctx_of(a))
    with torch.no_grad():
        term(ctx_of(b))  # an evaluation
    assert torch.isnan(term.snapshot) and int(term.epoch_count) == 1
    term(ctx_of(b))
    assert torch.isnan(term.snapshot) and int(term.epoch_count) == 2
    value = term(ctx_of(a))  # the third update opens the next epoch
    snapshot = (onehot_value(a) + onehot_value(b)) / 2
    assert_close(term.snapshot, torch.tensor(snapshot))
    assert_close(value, torch.tensor(math.exp(onehot_value(a) - snapshot)))
    assert int(term.epoch_count) == 1
    with pytest.raises(ValueError, match='interval'):
        ExpIncrementPenalty(loss=dict(type='OneHotLoss'), interval=0)


def test_snapshot_travels_in_the_state_dict():
    term = ExpIncrementPenalty(loss=dict(type='ClassBalanceLoss'))
    term(ctx_of(torch.tensor([[1., 0.], [0., 3.]])))
    term.refresh_snapshot()
    term(ctx_of(torch.tensor([[1., 2.], [0., 3.]])))
    fresh = ExpIncrementPenalty(loss=dict(type='ClassBalanceLoss'))
    assert torch.isnan(fresh.snapshot)
    fresh.load_state_dict(term.state_dict())
    for name in ('snapshot', 'epoch_sum', 'epoch_count'):
        assert_close(getattr(fresh, name), getattr(term, name))


def test_wrapped_term_declarations_pass_through():
    term = ExpIncrementPenalty(
        loss=dict(type='ActivationLoss', layer='head:in'))
    assert term.teacher_records == ('head:in', )
    assert not term.needs_student
    assert ExpIncrementPenalty(
        loss=dict(type='KLDivergenceLoss')).needs_student


def test_wrapping_a_non_term_is_an_error():
    with pytest.raises(TypeError, match='wraps an mmdfkd LossTerm'):
        ExpIncrementPenalty(loss=dict(type='ConvGenerator', latent_dim=4,
                                      img_size=4, out_channels=1))
