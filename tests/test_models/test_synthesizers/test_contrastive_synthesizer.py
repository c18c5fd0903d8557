import math

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmdfkd.models.synthesizers import ContrastiveSynthesizer, contrastive_loss


def ce(logits, target):
    return -(logits[target] - torch.logsumexp(logits, 0))


def test_contrastive_loss_by_hand():
    local = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    global_ = torch.tensor([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    tau = 0.5
    rows = [torch.tensor([1.0, 0.6, -1.0]), torch.tensor([0.0, 0.8, 0.0]),
            torch.tensor([0.6, 1.0, -0.6])]
    per_row = [ce(r / tau, i) for i, r in enumerate(rows)]
    # rows 0-1: the current batch, row 2: a bank entry, itself an anchor;
    # the two groups are averaged separately and added
    expected = (per_row[0] + per_row[1]) / 2 + per_row[2]
    torch.testing.assert_close(
        contrastive_loss(local, global_, tau, num_current=2), expected)
    # without bank rows: the plain mean
    torch.testing.assert_close(
        contrastive_loss(local, global_, tau), sum(per_row) / 3)
    # the global views are targets: no gradient reaches them
    g = global_.clone().requires_grad_()
    l_ = local.clone().requires_grad_()
    contrastive_loss(l_, g, tau, 2).backward()
    assert g.grad is None and l_.grad.abs().sum() > 0


class Teacher(nn.Module):

    def __init__(self, norm1d=False):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        # a BatchNorm1d on the pooled features (2-D input)
        self.norm = nn.BatchNorm1d(6) if norm1d else nn.Identity()
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(self.norm(self.body(x)))


#: RandomCrop to the full size without padding: the identity, so that a
#: round's features can be recomputed from the images it returns.
IDENTITY = dict(type='DifferentiableViews',
                transforms=[dict(type='RandomCrop', size=(8, 8))])


def make_synth(**kwargs):
    cfg = dict(
        generator=dict(type='ConvGenerator', latent_dim=8, img_size=8,
                       out_channels=1, base_channels=8),
        global_views=dict(type='DifferentiableViews',
                          transforms=[dict(type='RandomCrop', size=(8, 8),
                                           padding=1)]),
        local_views=dict(type='DifferentiableViews',
                         transforms=[dict(type='RandomResizedCrop',
                                          size=(8, 8), scale=(0.5, 1.0))]),
        iterations=3, feature_dim=5, hidden_dim=7, bank_size=16,
        num_negatives=4)
    cfg.update(kwargs)
    return ContrastiveSynthesizer(**cfg)


def env(teacher):
    """What the synthesizer reads of a distiller: the teacher and its
    forward on pixel-space images (no normalisation here)."""
    return SimpleNamespace(teacher=teacher, teacher_forward=teacher,
                           round_index=0)


def bound(synth, **teacher_kwargs):
    teacher = Teacher(**teacher_kwargs).eval().requires_grad_(False)
    synth.setup(env(teacher))
    return teacher


def teacher_loss(teacher):
    return lambda images: dict(ce=teacher(images).logsumexp(1).mean())


def bn_input_means(teacher, images):
    """The spatial means of the teacher's BatchNorm inputs, concatenated."""
    feats = []
    hooks = [
        m.register_forward_pre_hook(
            lambda m, a: feats.append(a[0].mean((2, 3)) if a[0].dim() == 4
                                      else a[0]))
        for m in teacher.modules()
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))
    ]
    with torch.no_grad():
        teacher(images)
    for h in hooks:
        h.remove()
    return torch.cat(feats, dim=1)


def test_round_pushes_raw_features_and_trains_the_head():
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth)
    assert synth.head[0].in_features == 4 + 6  # BN input channels
    bank = synth.memory_bank
    assert (bank.size, bank.dim, len(bank)) == (16, 2 * 10, 0)
    head_before = [p.detach().clone() for p in synth.head.parameters()]
    images, losses = synth.synthesize(env(teacher), teacher_loss(teacher),
                                      torch.randn(6, 8))
    assert images.shape == (6, 1, 8, 8) and not images.requires_grad
    assert 0 <= float(images.min()) and float(images.max()) <= 255
    assert set(losses) == {'ce', 'contrastive'}
    assert len(bank) == 6
    # raw features (before the head), not unit projections
    assert not torch.allclose(bank.features.norm(dim=1), torch.ones(6))
    assert any(not torch.equal(a, b)
               for a, b in zip(head_before, synth.head.parameters()))
    assert all(p.grad is None for p in teacher.parameters())
    synth.synthesize(env(teacher), teacher_loss(teacher), torch.randn(6, 8))
    assert len(bank) == 12  # the second round drew entries and pushed


def test_bank_rows_go_through_the_current_head():
    """Round 1 keeps its batch's raw features; in round 2 the logits are
    those of the current batch and the bank rows, all projected by the
    head as round 1 left it (hand-computed), not as it was when the rows
    were stored."""
    torch.manual_seed(0)
    synth = make_synth(global_views=IDENTITY, local_views=IDENTITY,
                       iterations=1, num_negatives=16, tau=0.2,
                       contrastive_weight=1.0)
    teacher = bound(synth)
    head_at_push = [p.detach().clone() for p in synth.head.parameters()]
    first, _ = synth.synthesize(env(teacher), teacher_loss(teacher),
                                torch.randn(4, 8))
    feats = bn_input_means(teacher, first)
    # a row: local view's features, then the global view's
    torch.testing.assert_close(synth.memory_bank.features,
                               torch.cat([feats, feats], dim=1))
    head_now = [p.detach().clone() for p in synth.head.parameters()]

    def project(head_params, rows):
        w1, b1, w2, b2 = head_params
        return F.normalize(F.linear(F.relu(F.linear(rows, w1, b1)), w2, b2),
                           dim=1)

    second, losses = synth.synthesize(env(teacher), teacher_loss(teacher),
                                      torch.randn(4, 8))
    current = bn_input_means(teacher, second)
    rows = torch.cat([current, feats])  # the bank holds round 1's rows
    proj = project(head_now, rows)
    logits = proj @ proj.t() / 0.2  # identity views: local == global
    per_row = torch.stack([ce(logits[i], i) for i in range(8)])
    expected = per_row[:4].mean() + per_row[4:].mean()
    torch.testing.assert_close(losses['contrastive'], expected)
    # projections stored when the rows were pushed would be stale
    stored = torch.cat([project(head_now, current),
                        project(head_at_push, feats)])
    stale = stored @ stored.t() / 0.2
    stale_loss = (torch.stack([ce(stale[i], i) for i in range(4)]).mean() +
                  torch.stack([ce(stale[i], i) for i in range(4, 8)]).mean())
    assert not torch.allclose(stale_loss, expected)


def test_batchnorm1d_teacher():
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth, norm1d=True)
    assert synth.head[0].in_features == 4 + 6 + 6
    synth.synthesize(env(teacher), teacher_loss(teacher), torch.randn(5, 8))
    assert synth.memory_bank.features.shape == (5, 2 * 16)


def test_feature_layers_by_name():
    torch.manual_seed(0)
    synth = make_synth(feature_layers=['body.3', 'fc'])
    teacher = bound(synth)
    assert synth.head[0].in_features == 4 + 6  # inputs: conv2 and fc
    synth.synthesize(env(teacher), teacher_loss(teacher),
                                torch.randn(4, 8))
    with pytest.raises(ValueError, match='not submodules'):
        bound(make_synth(feature_layers=['body.99']))


def test_head_defaults_to_the_authors():
    synth = make_synth(hidden_dim=None)
    bound(synth)
    # hidden width = feature width; Adam with its default betas
    assert synth.head[0].out_features == synth.head[0].in_features == 10
    assert synth._head_optimizer.defaults['betas'] == (0.9, 0.999)


def test_generator_is_reinitialised_every_round():
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth)
    synth.synthesize(env(teacher), teacher_loss(teacher),
                                torch.randn(4, 8))
    trained = synth.generator.project.weight.detach().clone()
    torch.manual_seed(1)
    synth._reset_generator()
    assert not torch.equal(trained, synth.generator.project.weight)
    bound_init = 1 / math.sqrt(8)  # nn.Linear's default init range
    assert synth.generator.project.weight.abs().max() <= bound_init


def test_head_optimiser_and_bank_travel(tmp_path):
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth)
    for _ in range(3):  # 18 rows into 16 entries: the ring has wrapped
        synth.synthesize(env(teacher), teacher_loss(teacher),
                         torch.randn(6, 8))
    torch.save(synth.state_dict(), tmp_path / 's.pth')
    fresh = make_synth()
    bound(fresh)
    fresh.load_state_dict(torch.load(tmp_path / 's.pth', weights_only=True))
    a = synth._head_optimizer.state_dict()['state']
    b = fresh._head_optimizer.state_dict()['state']
    assert a.keys() == b.keys() and len(a) == 4
    for k in a:
        torch.testing.assert_close(a[k]['exp_avg'], b[k]['exp_avg'])
    saved, loaded = synth.memory_bank, fresh.memory_bank
    assert (loaded.ptr, len(loaded)) == (saved.ptr, len(saved)) == (2, 16)
    torch.testing.assert_close(loaded.ordered(), saved.ordered())


def test_errors():
    synth = make_synth()
    with pytest.raises(RuntimeError, match='setup'):
        synth.synthesize(env(None), lambda x: dict(l=x.mean()),
                         torch.randn(2, 8))
    with pytest.raises(ValueError, match='BatchNorm'):
        synth.setup(env(nn.Linear(2, 2)))
    # the bank is required
    for size in (0, None):
        with pytest.raises(ValueError, match='needs its memory bank'):
            make_synth(bank_size=size)
    with pytest.raises(ValueError, match='num_negatives'):
        make_synth(bank_size=8, num_negatives=9)
    # a bank smaller than one push would only ever hold the current batch
    small = make_synth(bank_size=4, num_negatives=2)
    teacher = bound(small)
    with pytest.raises(ValueError, match='bank_size >= 6'):
        small.synthesize(env(teacher), teacher_loss(teacher),
                         torch.randn(6, 8))
