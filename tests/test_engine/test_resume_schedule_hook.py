"""ResumeScheduleHook: a resumed run planned longer follows the config's
schedule exactly (the learning rates of a run planned that long from the
start), or stops when that cannot be done."""
import pytest
import torch
from mmengine.runner import Runner

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine import enable_resume
from mmdfkd.engine.hooks import ScheduleResumeError
from tests.conftest import load_cfg

SMALL = {
    'train_dataloader.batch_size': 8,
    'train_cfg.val_interval': 100000,
    'default_hooks.logger.interval': 1,
    'default_hooks.checkpoint.interval': 2,
}


def run(work_dir, teacher, max_iters, resume=False, student_schedule=None):
    cfg = load_cfg('configs/dfq_digits.py')
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(dict(SMALL, **{
        'model.teacher_ckpt': teacher,
        'train_cfg.max_iters': max_iters
    }))
    # the config sets T_max from its own max_iters (1200); so does a run
    # planned 6 rounds long with these options
    if student_schedule is not None:
        cfg.param_scheduler.student = student_schedule
    if resume:
        enable_resume(cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return runner


def lr_history(runner, name):
    values, _ = runner.message_hub.get_scalar(f'train/{name}.lr').data
    return values.tolist()


def state(path):
    ckpt = load_untrusted_checkpoint(str(path))
    return ({name: [g['lr'] for g in opt['param_groups']]
             for name, opt in ckpt['optimizer'].items()},
            ckpt['param_schedulers'])


@pytest.fixture(scope='module')
def planned(trained_teacher, tmp_path_factory):
    """A run planned 6 rounds long from the start."""
    work_dir = tmp_path_factory.mktemp('planned')
    return run(work_dir, trained_teacher, 6), work_dir


def test_longer_resume_equals_a_run_planned_that_long(planned,
                                                      trained_teacher,
                                                      tmp_path):
    """4 rounds, then --resume to 6. Before, the schedulers kept end = 4:
    the student's cosine stopped and its LR froze at the value of round 3
    (its round-4 step was skipped)."""
    ref, ref_dir = planned
    run(tmp_path, trained_teacher, 4)
    resumed = run(tmp_path, trained_teacher, 6, resume=True)
    for name in ('student', 'generator'):
        want, got = lr_history(ref, name), lr_history(resumed, name)
        assert len(got) == len(want) == 6
        assert got == pytest.approx(want, rel=1e-12, abs=0), name
    # the student's learning rate moved on after the resume point
    assert lr_history(resumed, 'student')[5] < lr_history(resumed,
                                                          'student')[3]
    ref_lrs, ref_scheds = state(ref_dir / 'iter_6.pth')
    got_lrs, got_scheds = state(tmp_path / 'iter_6.pth')
    assert got_lrs.keys() == ref_lrs.keys()
    for name in ref_lrs:
        assert got_lrs[name] == pytest.approx(ref_lrs[name], rel=1e-12)
    for name in ('student', 'generator'):
        for want, got in zip(ref_scheds[name], got_scheds[name]):
            assert got['end'] == want['end'] == 6
            assert got['last_step'] == want['last_step']
            assert got['_global_step'] == want['_global_step'] == 6


def test_schedule_whose_shape_depends_on_the_length_is_refused(
        trained_teacher, tmp_path):
    """A cosine without T_max spans the whole run: planned 6 rounds long,
    its LR differs from round 1 on. Resuming a 2-round run to 6 rounds
    cannot match that: refused, before any training, naming the
    scheduler, the keys and the values."""
    cosine = [dict(type='CosineAnnealingLR', eta_min=0.01, by_epoch=False)]
    run(tmp_path, trained_teacher, 2, student_schedule=cosine)
    before = (tmp_path / 'iter_2.pth').read_bytes()
    with pytest.raises(ScheduleResumeError) as info:
        run(tmp_path, trained_teacher, 6, resume=True,
            student_schedule=cosine)
    text = str(info.value)
    assert 'param_scheduler.student' in text
    assert 'T_max 2 -> 6' in text and 'end 2 -> 6' in text
    assert ('at step 1 lr is 0.055 in the checkpoint\'s plan, 0.0939711 in '
            'the config\'s') in text
    assert '--work-dir' in text
    assert 'generator' not in text  # its ConstantLR extends exactly
    assert not (tmp_path / 'iter_4.pth').exists()
    assert (tmp_path / 'iter_2.pth').read_bytes() == before


def test_other_settings_are_refused(trained_teacher, tmp_path):
    """Resumed with another eta_min: MMEngine kept the checkpoint's value
    silently; the plans part at step 1."""
    cosine = [dict(type='CosineAnnealingLR', T_max=1200, eta_min=0.01,
                   by_epoch=False)]
    run(tmp_path, trained_teacher, 2, student_schedule=cosine)
    with pytest.raises(ScheduleResumeError, match='eta_min 0.01 -> 0.05'):
        run(tmp_path, trained_teacher, 2, resume=True,
            student_schedule=[dict(cosine[0], eta_min=0.05)])


def test_load_from_without_resume_leaves_schedules_alone(planned,
                                                         trained_teacher,
                                                         tmp_path):
    """Weights only: a new run of 2 rounds from the planned run's
    checkpoint starts its own schedules at step 0."""
    _, ref_dir = planned
    cfg = load_cfg('configs/dfq_digits.py')
    cfg.work_dir = str(tmp_path)
    cfg.merge_from_dict(dict(SMALL, **{
        'model.teacher_ckpt': trained_teacher,
        'train_cfg.max_iters': 2,
        'load_from': str(ref_dir / 'iter_6.pth'),
        'custom_hooks': [dict(type='ResumeScheduleHook')],
    }))
    runner = Runner.from_cfg(cfg)
    runner.train()
    _, scheds = state(tmp_path / 'iter_2.pth')
    assert scheds['student'][0]['_global_step'] == 2
    assert scheds['student'][0]['end'] == 2
