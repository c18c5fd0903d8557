"""ScheduleSwitchHook and LossSnapshotHook: unit behaviour, and RDSKD's two
stages through the runner, across a resume."""
import copy
from types import SimpleNamespace

import pytest
import torch

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine.hooks import LossSnapshotHook, ScheduleSwitchHook
from mmdfkd.models.losses import ExpIncrementPenalty
from mmdfkd.registry import MODELS
from tests.conftest import distiller_cfg, load_cfg


@pytest.fixture
def distiller(teacher_cfg, student_cfg):
    return MODELS.build(
        distiller_cfg(teacher_cfg, student_cfg, schedule=[('generator', 1)]))


def test_switch_follows_the_iteration(distiller):
    hook = ScheduleSwitchHook(
        at=5, schedule=[('student', 2)], eval_modules=('synthesizer', ))
    runner = SimpleNamespace(iter=0, model=distiller)
    distiller.train()
    hook.before_train(runner)
    assert distiller.schedule == [('generator', 1)]
    assert distiller.synthesizer.training
    runner.iter = 5
    hook.before_train_iter(runner, 0)
    assert distiller.schedule == [('student', 2)]
    # the fixed generator: eval mode, the student still trains
    assert not distiller.synthesizer.generator.training
    assert distiller.student.training
    # a run that restarts before `at` (e.g. load_from) is in stage 1 again
    runner.iter = 4
    hook.before_train_iter(runner, 0)
    assert distiller.schedule == [('generator', 1)]


def test_switch_checks_its_schedule_and_arguments(distiller):
    hook = ScheduleSwitchHook(at=1, schedule=[('synthesis', 1)])
    with pytest.raises(ValueError, match='does not fit'):
        hook.before_train(SimpleNamespace(iter=0, model=distiller))
    with pytest.raises(ValueError, match='at >= 0'):
        ScheduleSwitchHook(at=-1, schedule=[('student', 1)])
    with pytest.raises(ValueError, match='non-empty'):
        ScheduleSwitchHook(at=1, schedule=[])


def test_snapshot_hook_refreshes_every_interval():
    penalty = ExpIncrementPenalty(loss=dict(type='OneHotLoss'))
    model = torch.nn.ModuleDict(dict(p=penalty))
    hook = LossSnapshotHook(interval=3)
    runner = SimpleNamespace(iter=0, model=model)
    hook.before_train(runner)
    penalty.epoch_sum.fill_(6.)
    penalty.epoch_count.fill_(2.)
    hook.after_train_iter(runner, 0)  # iteration 1 of 3: no refresh
    assert torch.isnan(penalty.snapshot)
    runner.iter = 2
    hook.after_train_iter(runner, 0)
    assert float(penalty.snapshot) == 3.
    with pytest.raises(TypeError, match='no ExpIncrementPenalty'):
        hook.before_train(SimpleNamespace(model=torch.nn.Linear(1, 1)))
    with pytest.raises(ValueError, match='interval'):
        LossSnapshotHook(interval=0)


def rdskd_cfg(trained_teacher, work_dir, max_iters):
    cfg = load_cfg('configs/rdskd_digits.py')
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict({
        'model.teacher_ckpt': trained_teacher,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': 1000,
        'train_dataloader.batch_size': 16,
        'default_hooks.checkpoint.interval': 3,
        'default_hooks.logger.interval': 1,
    })
    hooks = copy.deepcopy(cfg.custom_hooks)
    hooks[0]['at'] = 2  # ScheduleSwitchHook: iterations 0, 1 are stage 1
    hooks[1]['interval'] = 1  # LossSnapshotHook
    cfg.custom_hooks = hooks
    cfg.param_scheduler = None
    return cfg


def weights(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_two_stages_survive_resume(trained_teacher, tmp_path):
    from mmengine.runner import Runner
    torch.set_num_threads(1)
    runner = Runner.from_cfg(rdskd_cfg(trained_teacher, tmp_path, 3))
    model = runner.model
    student0 = weights(model.student)
    gen0 = weights(model.synthesizer)
    runner.train()
    assert model.schedule == [('student', 1)]
    # stage 1 trained the generator only, stage 2 the student only
    ckpt = load_untrusted_checkpoint(str(tmp_path / 'iter_3.pth'))
    state = ckpt['state_dict']
    gen_changed = any(not torch.equal(v, state[f'synthesizer.{k}'])
                      for k, v in gen0.items() if v.is_floating_point())
    assert gen_changed
    snapshot = state['generator_losses.onehot.snapshot']
    assert torch.isfinite(snapshot)
    # stage 2 kept the last stage-1 snapshot and counted no update
    assert float(state['generator_losses.onehot.epoch_count']) == 0

    resumed_cfg = rdskd_cfg(trained_teacher, tmp_path, 5)
    resumed_cfg.resume = True
    resumed = Runner.from_cfg(resumed_cfg)
    resumed.train()
    model = resumed.model
    assert model.schedule == [('student', 1)]
    # the resumed iterations 3, 4 are stage 2: the generator stays fixed,
    # the student moves, the snapshot is the checkpoint's
    for k, v in weights(model.synthesizer).items():
        assert torch.equal(v, state[f'synthesizer.{k}']), k
    assert any(not torch.equal(v, state[f'student.{k}'])
               for k, v in weights(model.student).items()
               if v.is_floating_point())
    assert torch.equal(model.generator_losses.onehot.snapshot, snapshot)
    assert student0  # (the student was trained from its initial weights)
