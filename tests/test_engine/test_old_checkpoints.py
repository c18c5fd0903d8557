"""Checkpoints written by mmdfkd 0.1 (tests/fixtures/checkpoints_v0.1,
written by the code before the synthesizer interface) resume under the
0.2 configs: the state dict's keys are migrated (a pool synthesizer's pool
moved into the synthesizer), the saved configuration is compared after
migration (hooks that became schedule stages and term settings). What
cannot be read fails naming the version."""
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine import build_runner, check_resumable, enable_resume
from mmdfkd.engine.preflight import preflight
from mmdfkd.engine.resume import ResumeConfigMismatchError
from tests.conftest import ROOT

FIXTURES = osp.join(ROOT, 'tests', 'fixtures', 'checkpoints_v0.1')
#: The options the fixtures were written with, in the 0.2 spelling.
TINY = {
    'model.teacher.backbone.widths': (4, 8, 8),
    'model.teacher.head.in_channels': 8,
    'model.student.backbone.widths': (4, 4, 8),
    'model.student.head.in_channels': 8,
    'train_dataloader.batch_size': 4,
    'train_cfg.val_interval': 1000,
    'default_hooks.checkpoint.interval': 1,
    'default_hooks.logger.interval': 1,
}


def old_run(tmp_path, name: str, iteration: int) -> tuple:
    """A work dir holding the 0.1 checkpoint, and a teacher file with its
    weights (the fixture's teacher_ckpt path is gone)."""
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    ckpt = work_dir / f'iter_{iteration}.pth'
    shutil.copy(osp.join(FIXTURES, f'{name}_iter_{iteration}.pth'), ckpt)
    (work_dir / 'last_checkpoint').write_text(str(ckpt))
    state = load_untrusted_checkpoint(str(ckpt))['state_dict']
    teacher = {k[len('teacher.'):]: v for k, v in state.items()
               if k.startswith('teacher.')}
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=teacher), path)
    return str(work_dir), path, state


def resume(config: str, work_dir: str, teacher: str, max_iters: int,
           **options):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(dict(TINY, **options))
    cfg.merge_from_dict({'model.teacher_ckpt': teacher,
                         'train_cfg.max_iters': max_iters})
    cfg.work_dir = work_dir
    preflight(cfg)
    check_resumable(work_dir, cfg)
    enable_resume(cfg)
    runner = build_runner(cfg)
    runner.train()
    return runner


def test_pool_checkpoint_resumes(tmp_path):
    work_dir, teacher, old = old_run(tmp_path, 'deepinv_digits', 2)
    assert 'pool._extra_state' in old  # the 0.1 layout
    runner = resume(
        'configs/deepinv_digits.py', work_dir, teacher, 3, **{
            'model.synthesizer.iterations': 2,
            'model.schedule': [('synthesis', 1), ('student', 2)],
        })
    assert runner.iter == 3
    model = runner.model
    # the pool came back (8 images of two rounds) and the round added 4
    assert len(model.synthesizer.pool) == 12
    torch.testing.assert_close(
        model.synthesizer.pool.tensors()[0][:8],
        _unpacked_pool(old['pool._extra_state']))
    saved = load_untrusted_checkpoint(osp.join(work_dir, 'iter_3.pth'))
    assert 'synthesizer.pool._extra_state' in saved['state_dict']
    assert saved['state_dict']._metadata['']['version'] == 2


def _unpacked_pool(packed):
    from mmdfkd.utils import unpack_state
    return unpack_state(packed)['images'].float()


def test_two_stage_checkpoint_resumes_in_its_stage(tmp_path):
    """RDSKD of 0.1: ScheduleSwitchHook and LossSnapshotHook in the saved
    config; 0.2 has the stages in the schedule and the interval in the
    penalties. The checkpoint (round 3, stage 2) goes on in stage 2."""
    work_dir, teacher, old = old_run(tmp_path, 'rdskd_digits', 3)
    runner = resume(
        'configs/rdskd_digits.py', work_dir, teacher, 4, **{
            'model.synthesizer.generator.base_channels': 4,
            'model.schedule.0.rounds': 2,
            'model.generator_losses.onehot.interval': 1,
            'model.generator_losses.balance.interval': 1,
        })
    model = runner.model
    assert runner.iter == 4 and model.stage.phases == (('student', 1), )
    # stage 2: the fixed generator stays as the checkpoint left it
    for key, value in model.synthesizer.state_dict().items():
        torch.testing.assert_close(value, old[f'synthesizer.{key}'])
    assert any(not torch.equal(v, old[f'student.{k}'])
               for k, v in model.student.state_dict().items()
               if v.is_floating_point())


def test_changed_config_names_the_version(tmp_path):
    work_dir, teacher, _ = old_run(tmp_path, 'deepinv_digits', 2)
    with pytest.raises(ResumeConfigMismatchError,
                       match=r'(?s)written by mmdfkd 0.1 \(distiller state '
                       r'layout version 1\).*model.synthesizer.iterations'):
        resume('configs/deepinv_digits.py', work_dir, teacher, 3, **{
            'model.synthesizer.iterations': 5,
            'model.schedule': [('synthesis', 1), ('student', 2)],
        })


def test_newer_layout_is_refused_naming_the_version(tmp_path):
    from mmdfkd.models.algorithms import DataFreeDistiller
    state = {'rounds': torch.zeros((), dtype=torch.long)}
    with pytest.raises(ValueError, match=r'layout version 3, written by a '
                       r'newer mmdfkd; this one reads versions up to 2'):
        DataFreeDistiller.upgrade_state_dict(state, version=3)
    # version 1 keys move; version 2 ones stay
    state = {'pool._extra_state': 1, 'synthesizer.x': 2}
    DataFreeDistiller.upgrade_state_dict(state, version=1)
    assert state == {'synthesizer.pool._extra_state': 1, 'synthesizer.x': 2}
    DataFreeDistiller.upgrade_state_dict(state, version=2)
    assert state == {'synthesizer.pool._extra_state': 1, 'synthesizer.x': 2}
