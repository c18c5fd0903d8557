"""Replay in the online synthesizer: every student step trains on the
fresh batch followed by a draw of earlier batches (a bounded FIFO
SyntheticPool, before views); off by default, the student step unchanged;
no gradient to the generator; the pool travels in the state_dict."""
import pytest
import torch
from torch import nn

from mmdfkd.models.synthesizers import GeneratorSynthesizer, SyntheticPool
from mmdfkd.registry import MODELS
from tests.conftest import distiller_cfg
from tests.test_models.test_algorithms.test_data_free_distiller import (
    changed, latent_batch, optim_wrappers, snapshot)


@MODELS.register_module(force=True)
class FirstLatentGenerator(nn.Module):
    """A 1×2×2 image filled with ``scale · z[0]`` (tests: an image says
    which latent made it)."""

    def __init__(self, latent_dim=3):
        super().__init__()
        self.latent_dim = latent_dim
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, z):
        return (self.scale * z[:, :1]).view(-1, 1, 1, 1).expand(-1, 1, 2, 2)


@MODELS.register_module(force=True)
class PlusHundredView(nn.Module):
    """A view that adds 100 to every pixel (tests)."""

    def forward(self, images):
        return images + 100


def synth(**kwargs):
    # pixel_range (-1, 1): pixels are the generator's output itself
    return GeneratorSynthesizer(
        dict(type='FirstLatentGenerator'), pixel_range=(-1, 1), **kwargs)


def latents(*values):
    z = torch.zeros(len(values), 3)
    z[:, 0] = torch.tensor(values, dtype=torch.float32)
    return z


def values(images):
    return images[:, 0, 0, 0].tolist()


def test_default_leaves_the_student_step_unchanged():
    s = synth(views=dict(type='RandomShift', max_shift=1, flip_prob=0.5))
    assert s.replay_pool is None
    assert set(s.state_dict()) == {'generator.scale'}
    z, y = latents(1., 2., 3.), torch.tensor([1, 2, 3])
    torch.manual_seed(0)
    images, labels = s.student_batch(z, y)
    torch.manual_seed(0)
    with torch.no_grad():
        expected = s(z)
    assert torch.equal(images, expected) and labels is y
    assert not images.requires_grad


def test_student_batch_is_fresh_then_replayed_and_the_pool_is_fifo():
    s = synth(replay=dict(max_size=6, batch_size=4),
              views=dict(type='PlusHundredView'))
    s.train()
    assert isinstance(s.replay_pool, SyntheticPool)
    # first step: an empty pool, the fresh batch alone (viewed)
    images, labels = s.student_batch(latents(1., 2., 3.),
                                     torch.tensor([1, 2, 3]))
    assert values(images) == [101., 102., 103.]
    assert labels.tolist() == [1, 2, 3]
    # the pool keeps the images as generated, before the view
    assert values(s.replay_pool.tensors()[0]) == [1., 2., 3.]
    torch.manual_seed(0)
    images, labels = s.student_batch(latents(4., 5., 6.),
                                     torch.tensor([4, 5, 6]))
    assert images.shape == (7, 1, 2, 2)
    assert values(images)[:3] == [104., 105., 106.]
    # replayed: earlier images, viewed anew, with their own labels
    replayed = [v - 100 for v in values(images)[3:]]
    assert set(replayed) <= {1., 2., 3.}
    assert labels[3:].tolist() == replayed
    assert values(s.replay_pool.tensors()[0]) == [1., 2., 3., 4., 5., 6.]
    # bounded: the oldest batch leaves first
    s.student_batch(latents(7., 8., 9.), torch.tensor([7, 8, 9]))
    assert values(s.replay_pool.tensors()[0]) == [4., 5., 6., 7., 8., 9.]
    images, _ = s.student_batch(latents(10., 11., 12.),
                                torch.tensor([10, 11, 12]))
    assert set(v - 100 for v in values(images)[3:]) <= {4., 5., 6., 7., 8.,
                                                         9.}
    assert values(s.replay_pool.tensors()[0]) == [7., 8., 9., 10., 11., 12.]
    assert len(s.replay_pool) == 6
    # the preview shows the fresh batch only
    assert values(s.preview()) == [110., 111., 112.]


def test_replay_without_labels_and_default_batch_size():
    s = synth(replay=dict(max_size=8))
    s.student_batch(latents(1., 2.), None)
    images, labels = s.student_batch(latents(3., 4.), None)
    assert labels is None and values(images)[:2] == [3., 4.]
    assert len(images) == 4  # the replay draw is as large as the fresh one
    assert set(values(images)[2:]) <= {1., 2.}


def test_replay_bad_input():
    with pytest.raises(ValueError, match='bounded.*max_size'):
        synth(replay=dict(batch_size=4))
    with pytest.raises(ValueError, match='bounded.*max_size'):
        synth(replay=dict(type='DiskPool', max_size=4))
    with pytest.raises(ValueError, match='batch_size must be a positive'):
        synth(replay=dict(max_size=4, batch_size=0))
    with pytest.raises(ValueError, match='max_size must be a positive'):
        synth(replay=dict(max_size=-1))


def replay_distiller(teacher_cfg, student_cfg, **replay):
    cfg = distiller_cfg(teacher_cfg, student_cfg)
    cfg['synthesizer']['replay'] = dict(max_size=16, **replay)
    return MODELS.build(cfg)


def test_student_step_trains_on_fresh_and_replayed_images(
        teacher_cfg, student_cfg):
    """The teacher and the student see fresh + replayed images; the
    replayed ones carry no gradient to the generator; the pool's size is
    logged."""
    torch.manual_seed(0)
    model = replay_distiller(teacher_cfg, student_cfg, batch_size=5)
    model.train()
    wrappers = optim_wrappers(model)
    seen = {'teacher': [], 'student': []}
    for name in seen:
        getattr(model, name).register_forward_pre_hook(
            lambda m, args, name=name: seen[name].append(args[0].shape[0]))
    before = dict(student=snapshot(model.student),
                  generator=snapshot(model.synthesizer.generator))
    batch = latent_batch(n=8, draws=1)
    z, y = batch['latents'][:, 0], batch['labels'][:, 0]
    log = model.student_step(z, y, wrappers['student'])
    assert float(log['synthesis.replay_pool_size']) == 8
    log = model.student_step(z + 1, y, wrappers['student'])
    assert float(log['synthesis.replay_pool_size']) == 16
    assert seen == {'teacher': [8, 13], 'student': [8, 13]}
    # the diversity indicators watch the fresh batch
    assert 'synthesis.diversity' in log
    gen = model.synthesizer.generator
    assert all(p.grad is None for p in gen.parameters())
    images, _ = model.synthesizer.replay_pool.tensors()
    assert not images.requires_grad
    # the student learned from them; the generator's weights did not move
    # (its BatchNorm statistics do, in train mode, as without replay)
    assert changed(before['student'], model.student)
    params = dict(gen.named_parameters())
    assert not [k for k in changed(before['generator'], gen) if k in params]
    # a round (2 student steps, 1 generator step) runs on
    model.train_step(latent_batch(n=8, draws=3), wrappers)
    assert [k for k in changed(before['generator'], gen) if k in params]
    assert len(model.synthesizer.replay_pool) == 16


def test_replay_pool_travels_in_the_state_dict(teacher_cfg, student_cfg,
                                               tmp_path):
    model = replay_distiller(teacher_cfg, student_cfg)
    model.train()
    model.train_step(latent_batch(n=8, draws=3), optim_wrappers(model))
    assert len(model.synthesizer.replay_pool) == 16
    path = tmp_path / 'state.pth'
    torch.save(model.state_dict(), path)
    state = torch.load(path, weights_only=True)
    fresh = replay_distiller(teacher_cfg, student_cfg)
    fresh.load_state_dict(state)
    for a, b in zip(model.synthesizer.replay_pool.tensors(),
                    fresh.synthesizer.replay_pool.tensors()):
        torch.testing.assert_close(a, b)
    # a model without replay does not take it silently
    plain = MODELS.build(distiller_cfg(teacher_cfg, student_cfg))
    with pytest.raises(RuntimeError, match='replay_pool'):
        plain.load_state_dict(state)


def test_replay_draws_leave_the_global_random_stream_alone():
    """Fresh views and what follows draw the same global random numbers
    with and without replay (a generator that does not see the student
    follows the same trajectory); the replay's own stream is saved."""
    views = dict(type='RandomShift', max_shift=1, flip_prob=0.5)
    plain, replay = synth(views=views), synth(
        views=views, replay=dict(max_size=8, batch_size=5))
    outs = []
    for s in (plain, replay):
        s.train()
        torch.manual_seed(0)
        fresh = [s.student_batch(latents(1., 2., 3.), None)[0][:3]
                 for _ in range(3)]
        outs.append((fresh, torch.rand(4)))
    for a, b in zip(outs[0][0], outs[1][0]):
        assert torch.equal(a, b)
    assert torch.equal(outs[0][1], outs[1][1])
    # the replay stream moved on, and a copy that loads it draws the same
    state = replay.state_dict()
    assert 'replay_rng' in state and 'replay_rng' not in plain.state_dict()
    copy = synth(views=views, replay=dict(max_size=8, batch_size=5))
    copy.train()
    copy.load_state_dict(state)
    torch.manual_seed(1)
    a = replay.student_batch(latents(4., 5., 6.), None)[0]
    torch.manual_seed(1)
    b = copy.student_batch(latents(4., 5., 6.), None)[0]
    assert torch.equal(a, b) and a.shape[0] == 8
