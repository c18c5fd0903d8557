import math

import pytest
import torch
from torch import nn

from mmdfkd.models.synthesizers import (ContrastiveSynthesizer, MemoryBank,
                                        contrastive_loss)


def test_contrastive_loss_by_hand():
    local = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    global_ = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    negatives = torch.tensor([[-1.0, 0.0]])
    tau = 0.5
    # row 0: logits (1, 0.6, -1)/tau, target 0; row 1: (0, 0.8, 0)/tau, 1
    def ce(logits, target):
        return -(logits[target] - torch.logsumexp(logits, 0))
    expected = (ce(torch.tensor([1.0, 0.6, -1.0]) / tau, 0) +
                ce(torch.tensor([0.0, 0.8, 0.0]) / tau, 1)) / 2
    torch.testing.assert_close(
        contrastive_loss(local, global_, negatives, tau), expected)
    # the global views are targets: no gradient reaches them
    g = global_.clone().requires_grad_()
    l_ = local.clone().requires_grad_()
    contrastive_loss(l_, g, None, tau).backward()
    assert g.grad is None and l_.grad.abs().sum() > 0


class Teacher(nn.Module):

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))

    def forward(self, x):
        return self.body(x)


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
        iterations=3, feature_dim=5, hidden_dim=7)
    cfg.update(kwargs)
    return ContrastiveSynthesizer(**cfg)


def bound(synth):
    teacher = Teacher().eval().requires_grad_(False)
    synth.bind(teacher, teacher)
    return teacher


def teacher_loss(teacher):
    return lambda images: dict(ce=teacher(images).logsumexp(1).mean())


def test_round_pushes_to_the_bank_and_trains_the_head():
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth)
    assert synth.head[0].in_features == 4 + 6  # BN input channels
    bank = MemoryBank(size=16, dim=5)
    synth.memory_bank, synth.num_negatives = bank, 4
    head_before = [p.detach().clone() for p in synth.head.parameters()]
    images, losses = synth.synthesize(teacher_loss(teacher),
                                      torch.randn(6, 8))
    assert images.shape == (6, 1, 8, 8) and not images.requires_grad
    assert 0 <= float(images.min()) and float(images.max()) <= 255
    assert set(losses) == {'ce', 'contrastive'}
    assert len(bank) == 6
    torch.testing.assert_close(bank.features.norm(dim=1), torch.ones(6))
    assert any(not torch.equal(a, b)
               for a, b in zip(head_before, synth.head.parameters()))
    assert all(p.grad is None for p in teacher.parameters())
    synth.synthesize(teacher_loss(teacher), torch.randn(6, 8))
    assert len(bank) == 12  # the second round drew negatives and pushed


def test_generator_is_reinitialised_every_round():
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth)
    synth.synthesize(teacher_loss(teacher), torch.randn(4, 8))
    trained = synth.generator.project.weight.detach().clone()
    torch.manual_seed(1)
    synth._reset_generator()
    assert not torch.equal(trained, synth.generator.project.weight)
    bound_init = 1 / math.sqrt(8)  # nn.Linear's default init range
    assert synth.generator.project.weight.abs().max() <= bound_init


def test_head_optimiser_state_travels(tmp_path):
    torch.manual_seed(0)
    synth = make_synth()
    teacher = bound(synth)
    synth.synthesize(teacher_loss(teacher), torch.randn(4, 8))
    torch.save(synth.state_dict(), tmp_path / 's.pth')
    fresh = make_synth()
    bound(fresh)
    fresh.load_state_dict(torch.load(tmp_path / 's.pth', weights_only=True))
    a = synth._head_optimizer.state_dict()['state']
    b = fresh._head_optimizer.state_dict()['state']
    assert a.keys() == b.keys() and len(a) == 4
    for k in a:
        torch.testing.assert_close(a[k]['exp_avg'], b[k]['exp_avg'])


def test_errors():
    synth = make_synth()
    with pytest.raises(RuntimeError, match='bind'):
        synth.synthesize(lambda x: dict(l=x.mean()), torch.randn(2, 8))
    with pytest.raises(ValueError, match='BatchNorm'):
        synth.bind(nn.Linear(2, 2), lambda x: x)
