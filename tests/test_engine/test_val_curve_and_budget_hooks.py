"""ValCurveHook, TimeBudgetHook and their TrainingClock: a clock that
leaves validation out, the curve of a real run, a run stopped by its
budget."""
import json
import os.path as osp

import pytest
import torch

from mmdfkd.engine.hooks import TimeBudgetHook
from mmdfkd.engine.hooks import training_clock
from mmdfkd.engine.hooks.training_clock import TrainingClock
from tests.conftest import load_cfg


def test_clock_excludes_paused_time(monkeypatch):
    now = {'wall': 100.0, 'cpu': 10.0}
    monkeypatch.setattr(training_clock.time, 'perf_counter',
                        lambda: now['wall'])
    monkeypatch.setattr(training_clock.time, 'process_time',
                        lambda: now['cpu'])

    def advance(wall, cpu):
        now['wall'] += wall
        now['cpu'] += cpu

    clock = TrainingClock()
    assert clock.read() == (0.0, 0.0) and not clock.started
    clock.start()
    advance(5, 2)
    assert clock.read() == (5, 2)
    clock.pause()  # validation: 7 s wall, 3 s CPU, not counted
    advance(7, 3)
    assert clock.read() == (5, 2)  # frozen while paused
    clock.resume()
    advance(1, 1)
    assert clock.read() == (6, 3)
    clock.resume()  # a resume without a pause changes nothing
    advance(2, 0.5)
    assert clock.read() == (8, 3.5)


def test_budget_hook_arguments():
    with pytest.raises(ValueError, match='seconds'):
        TimeBudgetHook(0)
    with pytest.raises(ValueError, match='clock'):
        TimeBudgetHook(10, clock='gpu')


def tiny_runner(trained_teacher, work_dir, hooks, max_iters=4,
                val_interval=2, resume=False):
    from mmengine.runner import Runner
    cfg = load_cfg('configs/dfad_digits.py')
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.merge_from_dict({
        'model.teacher_ckpt': trained_teacher,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': val_interval,
        'train_dataloader.batch_size': 16,
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint': dict(
            type='CheckpointHook', by_epoch=False, interval=max_iters,
            save_best='accuracy/top1', rule='greater'),
    })
    for i, hook in enumerate(hooks):  # keyed beside the runtime hooks
        cfg.default_hooks[f'extra_{i}'] = hook
    return Runner.from_cfg(cfg)


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_curve_of_a_run(trained_teacher, tmp_path, one_thread):
    runner = tiny_runner(trained_teacher, tmp_path,
                         [dict(type='ValCurveHook')])
    runner.train()
    with open(osp.join(tmp_path, 'val_curve.json')) as f:
        curve = json.load(f)
    points = curve['points']
    assert [p['iter'] for p in points] == [2, 4]
    for p in points:
        assert 0 <= p['accuracy/top1'] <= 100
        assert 0 < p['cpu_seconds']
    assert points[0]['seconds'] < points[1]['seconds'] <= curve['seconds']
    assert curve['rounds'] == curve['max_iters'] == 4
    assert 0 < curve['first_round_seconds'] <= points[0]['seconds']
    # the best validated checkpoint, as the CheckpointHook kept it
    best = max(points, key=lambda p: p['accuracy/top1'])
    assert curve['best_ckpt'].endswith(f'best_accuracy_top1_iter_'
                                       f'{best["iter"]}.pth')
    assert osp.isfile(curve['best_ckpt'])
    # the logged validations are the ones the curve holds
    logged = runner.message_hub.get_scalar('val/accuracy/top1').data[0]
    assert list(logged) == pytest.approx([p['accuracy/top1']
                                          for p in points])


def test_budget_stops_and_validates_the_last_student(trained_teacher,
                                                     tmp_path, one_thread):
    runner = tiny_runner(trained_teacher, tmp_path, [
        dict(type='ValCurveHook'),
        dict(type='TimeBudgetHook', seconds=1e-6, clock='cpu')
    ], max_iters=50, val_interval=20)
    runner.train()
    assert runner.iter == 1  # stopped after the first round
    with open(osp.join(tmp_path, 'val_curve.json')) as f:
        curve = json.load(f)
    assert curve['rounds'] == 1 and curve['max_iters'] == 50
    # validated at the stop although 1 is not a multiple of 20
    assert [p['iter'] for p in curve['points']] == [1]
    assert curve['best_ckpt'].endswith('best_accuracy_top1_iter_1.pth')
    # the hooks after training ran: the student was exported
    assert osp.isfile(osp.join(tmp_path, 'student', 'student.pth'))


def test_budget_stop_keeps_the_state_and_resumes(trained_teacher, tmp_path,
                                                 one_thread):
    runner = tiny_runner(trained_teacher, tmp_path, [
        dict(type='TimeBudgetHook', seconds=1e-6, clock='cpu')
    ], max_iters=50, val_interval=20)
    runner.train()
    # not a last iteration for the CheckpointHook (interval 50): saved
    # by the budget hook, with the generator and both optimizers
    path = osp.join(tmp_path, 'iter_1.pth')
    with open(osp.join(tmp_path, 'last_checkpoint')) as f:
        assert f.read() == path
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 1
    assert any(k.startswith('synthesizer.generator.')
               for k in ckpt['state_dict'])
    assert set(ckpt['optimizer']) >= {'generator', 'student'}
    generator = {k: v for k, v in runner.model.state_dict().items()
                 if k.startswith('synthesizer.generator.')}
    for k, v in generator.items():
        assert torch.equal(ckpt['state_dict'][k], v), k

    # `--resume` (resume=True, no path) continues from it
    resumed = tiny_runner(trained_teacher, tmp_path, [], max_iters=3,
                          val_interval=3, resume=True)
    resumed.train()
    assert resumed.iter == 3
