"""RNGStateHook: RNG states saved in checkpoints and restored on resume."""
import logging
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine.hooks import RNGStateHook
from mmdfkd.engine.hooks import rng_state_hook as hook_module
from mmdfkd.engine.hooks.rng_state_hook import get_rng_state, set_rng_state
from mmdfkd.registry import HOOKS
from tests.conftest import load_cfg


def draws():
    """Numbers from every generator the hook covers."""
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(),
            [random.random() for _ in range(3)],
            np.random.randn(1).tolist())  # exercises numpy's gauss cache


def reseed(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


class FakeRunner(SimpleNamespace):
    """What the hook reads of a runner."""

    def __init__(self, **kw):
        kw.setdefault('hooks', [])
        kw.setdefault('iter', 0)
        kw.setdefault('epoch', 0)
        kw.setdefault('max_iters', 100)
        kw.setdefault('max_epochs', 1)
        kw.setdefault('logger', logging.getLogger('rng_state_hook_test'))
        super().__init__(**kw)


# ------------------------------------------------------------ state helpers
def test_get_set_roundtrip():
    reseed(1)
    np.random.randn(1)  # a cached gaussian in numpy's state
    state = get_rng_state()
    expected = draws()
    reseed(2)
    assert draws() != expected
    assert set_rng_state(state) == []
    assert draws() == expected


def test_state_loads_weights_only(tmp_path):
    """Only tensors, numbers and tuples: a plain weights-only load reads it;
    the raw numpy state (uint32 array) also loads with mmdfkd's
    allow-list."""
    reseed(3)
    state = get_rng_state()
    assert state['numpy']['keys'].dtype == torch.int64
    path = tmp_path / 'rng.pth'
    torch.save(dict(rng_state=dict(world_size=1, ranks=[state])), path)
    loaded = torch.load(path, weights_only=True)['rng_state']['ranks'][0]
    expected = draws()
    set_rng_state(loaded)
    assert draws() == expected

    raw = tmp_path / 'raw.pth'
    torch.save(dict(np=np.random.get_state(), py=random.getstate()), raw)
    back = load_untrusted_checkpoint(str(raw))
    assert back['np'][1].dtype == np.uint32
    assert back['py'] == random.getstate()


# ------------------------------------------------------------------- hook
def test_registered_and_in_data_free_runtime():
    assert HOOKS.get('RNGStateHook') is RNGStateHook
    cfg = load_cfg('configs/dfq_digits.py')
    assert cfg.default_hooks.rng_state.type == 'RNGStateHook'


def test_runs_after_low_hooks_and_before_the_checkpoint_hook():
    from mmengine.runner import get_priority
    mine = get_priority(RNGStateHook.priority)
    assert get_priority('LOW') < mine < get_priority(CheckpointHook.priority)


def test_saved_then_restored_on_resume():
    hook = RNGStateHook()
    reseed(4)
    checkpoint = {}
    hook.before_save_checkpoint(FakeRunner(), checkpoint)
    assert checkpoint['rng_state']['world_size'] == 1
    after_save = draws()
    reseed(5)
    # a resume: the run goes on from the checkpoint's iteration
    resumed = FakeRunner(iter=2)
    hook.after_load_checkpoint(resumed, checkpoint)
    hook.before_train(resumed)
    assert draws() == after_save


def test_not_restored_without_resume():
    """``load_from`` without ``--resume`` loads weights, not the RNG."""
    hook = RNGStateHook()
    reseed(6)
    checkpoint = {}
    hook.before_save_checkpoint(FakeRunner(), checkpoint)
    reseed(7)
    expected = draws()
    reseed(7)
    fresh = FakeRunner(iter=0)  # load_from: training starts at 0
    hook.after_load_checkpoint(fresh, checkpoint)
    hook.before_train(fresh)
    assert draws() == expected


def test_checkpoint_without_states_warns(caplog):
    hook = RNGStateHook()
    resumed = FakeRunner(iter=2)
    with caplog.at_level(logging.WARNING, 'rng_state_hook_test'):
        hook.after_load_checkpoint(resumed, {'meta': {}})
        hook.before_train(resumed)
    assert 'no RNG states' in caplog.text


def test_gathered_at_checkpoint_iterations_only(monkeypatch):
    """The states are taken on every rank where the CheckpointHook saves
    (all ranks run after_train_iter; only rank 0 runs
    before_save_checkpoint), and are dropped when the next iteration
    starts."""
    calls = []

    def fake_gather(obj):
        calls.append(obj)
        return [obj, 'state of rank 1']

    monkeypatch.setattr(hook_module, 'all_gather_object', fake_gather)
    monkeypatch.setattr(hook_module, 'get_world_size', lambda: 2)
    ckpt_hook = CheckpointHook(interval=3, by_epoch=False, save_last=True)
    runner = FakeRunner(hooks=[ckpt_hook], max_iters=10)
    hook = RNGStateHook()
    for it in range(10):
        runner.iter = it
        hook.before_train_iter(runner, it)
        hook.after_train_iter(runner, it)
    # iterations 3, 6, 9 and the last one (10)
    assert len(calls) == 4
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['rng_state']['world_size'] == 2
    assert checkpoint['rng_state']['ranks'][1] == 'state of rank 1'
    hook.before_train_iter(runner, 10)
    assert hook._pending is None


def resume(hook, checkpoint):
    """What a resume runs of the hook: the load, then training starts."""
    runner = FakeRunner(iter=2)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)


def test_each_rank_restores_its_own(monkeypatch):
    reseed(8)
    rank0 = get_rng_state()
    rank0_draws = draws()
    rank1 = get_rng_state()
    rank1_draws = draws()
    checkpoint = dict(rng_state=dict(world_size=2, ranks=[rank0, rank1]))
    monkeypatch.setattr(hook_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(hook_module, 'get_rank', lambda: 1)
    resume(RNGStateHook(), checkpoint)
    assert draws() == rank1_draws
    monkeypatch.setattr(hook_module, 'get_rank', lambda: 0)
    resume(RNGStateHook(), checkpoint)
    assert draws() == rank0_draws


def test_other_world_size_is_not_restored(monkeypatch, caplog):
    reseed(9)
    checkpoint = dict(rng_state=dict(world_size=2, ranks=[get_rng_state()] *
                                     2))
    reseed(10)
    expected = draws()
    reseed(10)
    with caplog.at_level(logging.WARNING, 'rng_state_hook_test'):
        resume(RNGStateHook(), checkpoint)
    assert draws() == expected
    assert 'written by 2 processes' in caplog.text


def test_validation_does_not_move_the_training_stream():
    hook = RNGStateHook()
    reseed(11)
    expected = draws()
    reseed(11)
    runner = FakeRunner()
    hook.before_val(runner)
    draws()  # what validation would draw
    hook.after_val(runner)
    assert draws() == expected


# ------------------------------------------- a real runner, saved + resumed
class NoisyModel(BaseModel):
    """A loss that draws from torch, numpy and Python's random every step:
    a resumed run repeats it only if all three generators come back."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 1)
        self.losses = []

    def forward(self, inputs, mode='tensor'):
        out = nn.functional.dropout(self.lin(inputs), 0.5, self.training)
        noise = float(np.random.rand()) + random.random()
        loss = (out**2).mean() + noise
        self.losses.append(float(loss.detach()))
        return dict(loss=loss)


class Points(Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, i):
        return dict(inputs=torch.tensor([float(i), 1.0]))


def run(work_dir, max_iters, resume_from=None, hooks=True):
    from mmengine.runner import Runner
    runner = Runner(
        model=NoisyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=Points(),
            sampler=dict(type='InfiniteSampler', shuffle=True),
            collate_fn=dict(type='default_collate'),
            batch_size=4,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', by_epoch=False,
                            interval=2),
            logger=dict(type='LoggerHook', interval=1000)),
        custom_hooks=[dict(type='mmdfkd.RNGStateHook')] if hooks else [],
        randomness=dict(seed=0),
        load_from=resume_from,
        resume=resume_from is not None,
        log_level='WARNING',
        experiment_name=f'rng_{work_dir.name}_{max_iters}_{hooks}')
    runner.train()
    return runner.model.losses


@pytest.mark.parametrize('hooks', [True, False])
def test_resumed_runner_repeats_the_uninterrupted_one(tmp_path, hooks):
    full = run(tmp_path / 'full', 4, hooks=hooks)
    resumed = run(tmp_path / 'resumed', 4, hooks=hooks,
                  resume_from=str(tmp_path / 'full' / 'iter_2.pth'))
    assert len(full) == 4 and len(resumed) == 2
    if hooks:
        assert resumed == full[2:]
        ckpt = load_untrusted_checkpoint(str(tmp_path / 'full' /
                                             'iter_2.pth'))
        assert ckpt['rng_state']['world_size'] == 1
    else:  # what the hook is for: without it the noise starts over
        assert resumed != full[2:]
