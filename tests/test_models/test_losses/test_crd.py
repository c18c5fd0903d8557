import math

import pytest
import torch
from torch.testing import assert_close

from mmdfkd.models.losses import CRDLoss, DistillContext


def ctx_of(f_s, f_t, sample_idx=None):
    return DistillContext(
        images=torch.zeros(len(f_s), 1, 2, 2),
        teacher_logits=torch.zeros(len(f_s), 3),
        student_logits=torch.zeros(len(f_s), 3),
        student_feats={'head:in': f_s},
        teacher_feats={'head:in': f_t},
        sample_idx=sample_idx)


def identity_crd(dim, **kwargs):
    """Heads fixed to the identity: embeddings are the normalised
    features, so values can be computed by hand."""
    crd = CRDLoss(dim, dim, embed_dim=dim, **kwargs)
    with torch.no_grad():
        for head in (crd.embed_student, crd.embed_teacher):
            head.weight.copy_(torch.eye(dim))
            head.bias.zero_()
    return crd


def info_nce(anchor, candidates, tau):
    """-log softmax of candidate 0 (the positive), by hand."""
    scores = [sum(a * c for a, c in zip(anchor, cand)) / tau
              for cand in candidates]
    return -scores[0] + math.log(sum(math.exp(s) for s in scores))


def test_value_by_hand_with_an_empty_then_a_filled_queue():
    s = [[1., 0.], [0., 1.]]
    t = [[1., 0.], [0.6, 0.8]]
    tau = 0.5
    crd = identity_crd(2, tau=tau, queue_size=8)
    loss = crd(ctx_of(torch.tensor(s), torch.tensor(t)))
    # in-batch negatives only, both directions
    expected = 0.5 * (
        info_nce(s[0], [t[0], t[1]], tau) + info_nce(s[1], [t[1], t[0]], tau)
        + info_nce(t[0], [s[0], s[1]], tau) +
        info_nce(t[1], [s[1], s[0]], tau)) / 2
    assert_close(loss, torch.tensor(expected))
    assert int(crd.queue_len) == 2
    # second step: the pushed embeddings are negatives too
    s2, t2 = [[0.8, 0.6]], [[0., 1.]]
    loss = crd(ctx_of(torch.tensor(s2), torch.tensor(t2)))
    expected = 0.5 * (info_nce(s2[0], [t2[0]] + t, tau) +
                      info_nce(t2[0], [s2[0]] + s, tau))
    assert_close(loss, torch.tensor(expected))


def test_own_sample_in_the_queue_is_not_a_negative():
    crd = identity_crd(2, tau=1., queue_size=8)
    f = torch.tensor([[1., 0.]])
    crd(ctx_of(f, f, torch.tensor([7])))
    # the same sample again: its queue entries are masked, only the
    # positive remains
    assert_close(crd(ctx_of(f, f, torch.tensor([7]))), torch.tensor(0.))
    assert crd(ctx_of(f, f, torch.tensor([8]))) > 0.1


def test_memory_is_bounded_whatever_the_data_seen():
    crd = CRDLoss(4, 6, embed_dim=3, queue_size=5)
    for step in range(7):  # 21 samples
        idx = torch.arange(3 * step, 3 * step + 3)
        crd(ctx_of(torch.randn(3, 4), torch.randn(3, 6), idx))
    assert crd.queue_student.shape == (5, 3)
    assert int(crd.queue_len) == 5
    # the newest five samples, FIFO
    assert sorted(crd.queue_idx.tolist()) == list(range(16, 21))
    # a batch larger than the queue keeps its newest rows
    crd(ctx_of(torch.randn(9, 4), torch.randn(9, 6), torch.arange(100, 109)))
    assert sorted(crd.queue_idx.tolist()) == list(range(104, 109))
    assert_close(crd.queue_student.norm(dim=1), torch.ones(5))


def test_queue_survives_a_state_dict_round_trip():
    crd = CRDLoss(4, 6, embed_dim=3, queue_size=5)
    crd(ctx_of(torch.randn(3, 4), torch.randn(3, 6), torch.arange(3)))
    other = CRDLoss(4, 6, embed_dim=3, queue_size=5)
    other.load_state_dict(crd.state_dict())
    for name in ('queue_student', 'queue_teacher', 'queue_idx', 'queue_len',
                 'queue_ptr'):
        assert torch.equal(getattr(other, name), getattr(crd, name))
    f_s, f_t = torch.randn(2, 4), torch.randn(2, 6)
    with torch.no_grad():  # evaluation: nothing is pushed
        assert_close(crd(ctx_of(f_s, f_t)), other(ctx_of(f_s, f_t)))
    assert int(crd.queue_len) == 3


def test_gradients_reach_both_heads_and_the_student_not_the_teacher():
    crd = CRDLoss(4, 6, embed_dim=3, queue_size=5)
    student = torch.nn.Linear(5, 4)
    teacher = torch.nn.Linear(5, 6)
    x = torch.randn(4, 5)
    crd(ctx_of(student(x), teacher(x))).backward()
    for p in list(crd.parameters()) + list(student.parameters()):
        assert p.grad is not None and p.grad.abs().sum() > 0
    assert all(p.grad is None for p in teacher.parameters())


def test_feature_maps_are_pooled():
    crd = identity_crd(2, queue_size=4)
    maps = torch.randn(3, 2, 4, 4)
    pooled = maps.mean(dim=(2, 3))
    other = identity_crd(2, queue_size=4)
    assert_close(crd(ctx_of(maps, maps)), other(ctx_of(pooled, pooled)))


def test_bad_arguments():
    with pytest.raises(ValueError, match='queue_size'):
        CRDLoss(4, 4, queue_size=0)
    with pytest.raises(ValueError, match='tau'):
        CRDLoss(4, 4, tau=0.)
