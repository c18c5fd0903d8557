"""CollapseMonitorHook: its criteria on hand-made logs, and through the
runner: it writes the verdict and changes nothing in training."""
import json
import logging
import types

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger

from mmdfkd.engine.hooks import CollapseMonitorHook
from tests.conftest import load_cfg


class Capture(logging.Handler):

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def warnings(self):
        return [r.getMessage() for r in self.records
                if r.levelno == logging.WARNING]


@pytest.fixture
def runner(tmp_path):
    logger = MMLogger.get_instance('collapse_monitor_test')
    capture = Capture()
    logger.addHandler(capture)
    yield types.SimpleNamespace(
        logger=logger, iter=0, log_dir=str(tmp_path), capture=capture,
        message_hub=MessageHub.get_instance('collapse_monitor_test'))
    logger.removeHandler(capture)


def feed(hook, runner, balances, diversity=0.9):
    for balance in balances:
        hook.after_train_iter(runner, runner.iter, outputs={
            'synthesis.class_balance': torch.tensor(balance),
            'synthesis.diversity': torch.tensor(diversity)})
        runner.iter += 1


def test_a_collapse_streak_warns_once_and_decides_the_verdict(runner):
    hook = CollapseMonitorHook(patience=3)
    feed(hook, runner, [0.9, 0.2, 0.3, 0.1, 0.2, 0.4])
    warnings = runner.capture.warnings()
    assert len(warnings) == 1 and 'COLLAPSE at iteration 4' in warnings[0]
    assert 'collapsed for 3 rounds in a row' in warnings[0]
    report = hook.report()
    assert not report['healthy']
    assert report['synthesis'] == dict(
        rounds=6, collapsed_rounds=5, final_streak=5,
        last_class_balance=pytest.approx(0.4),
        last_diversity=pytest.approx(0.9))
    assert 'ended collapsed: the last 5 rounds' in report['problems'][0]


def test_a_long_streak_warns_again_at_doubling_lengths(runner):
    hook = CollapseMonitorHook(patience=2)
    feed(hook, runner, [0.1] * 17)
    warnings = runner.capture.warnings()
    assert [w.split(': ')[0] for w in warnings] == [
        f'COLLAPSE at iteration {i}' for i in (2, 4, 8, 16)]


def test_recovered_streaks_pass_unless_most_rounds_collapsed(runner):
    hook = CollapseMonitorHook(patience=3)
    feed(hook, runner, [0.1] * 4 + [0.95] * 6)
    assert hook.report()['healthy']  # 40 % collapsed, recovered
    feed(hook, runner, [0.1] * 2 + [0.95])
    assert hook.report()['healthy']
    hook = CollapseMonitorHook(patience=3)
    feed(hook, runner, ([0.1, 0.1, 0.95]) * 4)
    report = hook.report()
    assert report['problems'] == [
        'synthesis collapsed in 67 % of the 12 rounds']


def test_low_diversity_and_nonfinite_indicators_count_as_collapsed(runner):
    hook = CollapseMonitorHook(patience=2)
    feed(hook, runner, [1.0, 1.0], diversity=0.01)
    feed(hook, runner, [float('nan')])
    assert hook.report()['synthesis']['final_streak'] == 3


def test_not_learning_is_measured_against_the_teacher(runner):
    hook = CollapseMonitorHook()
    hook._max_iters = 100  # as before_train sets it
    hook.state['teacher'] = dict(metric='accuracy/top1', value=90.0,
                                 chance=10.0)
    runner.iter = 20
    hook.after_val_epoch(runner, {'accuracy/top1': 30.0})
    assert runner.capture.warnings() == []  # early in the run: no alarm
    runner.iter = 100
    hook.after_val_epoch(runner, {'accuracy/top1': 45.0})
    # (45 - 10) / (90 - 10) = 0.4375 < 0.5
    assert 'NOT LEARNING at iteration 100' in runner.capture.warnings()[0]
    report = hook.report()
    assert report['validation']['recovery'] == pytest.approx(0.4375)
    assert 'recovers 44 %' in report['problems'][0]
    hook.after_val_epoch(runner, {'accuracy/top1': 50.0})  # 0.5: learns
    assert hook.report()['healthy']


def test_through_the_runner_it_only_observes(tmp_path, trained_teacher):
    """A short DFQ run writes the verdict with the teacher's validation
    accuracy, and ends with the same student as a run without the hook."""
    from mmengine.runner import Runner

    students = {}
    for with_hook in (True, False):
        cfg = load_cfg('configs/dfq_digits.py')
        cfg.model.teacher_ckpt = trained_teacher
        cfg.work_dir = str(tmp_path / str(with_hook))
        cfg.train_cfg.max_iters = 4
        cfg.train_cfg.val_interval = 2
        cfg.train_dataloader.batch_size = 16
        if not with_hook:
            cfg.default_hooks.pop('collapse_monitor')
        runner = Runner.from_cfg(cfg)
        runner.train()
        students[with_hook] = {
            k: v.clone() for k, v in runner.model.student.state_dict().items()}
        if with_hook:
            report = runner.message_hub.get_info('training_health')
            with open(f'{runner.log_dir}/training_health.json') as f:
                assert json.load(f) == json.loads(json.dumps(report))
    teacher = report['validation']['teacher']
    assert teacher['metric'] == 'accuracy/top1' and teacher['chance'] == 10
    assert teacher['value'] > 50  # the trained teacher, evaluated
    assert [it for it, _ in report['validation']['student']] == [2, 4]
    assert report['synthesis']['rounds'] == 4
    for key, value in students[True].items():
        assert torch.equal(value, students[False][key]), key


def test_pool_methods_are_judged_on_the_pool(runner):
    """A pool method's single batch may hold few classes (Fast DFKD's
    meta-generator: 0.06-0.97 per round in a healthy run); the student
    draws from the whole pool, whose balance decides."""
    hook = CollapseMonitorHook(patience=2)
    for _ in range(5):
        hook.after_train_iter(runner, 0, outputs={
            'synthesis.class_balance': torch.tensor(0.1),
            'synthesis.pool_class_balance': torch.tensor(0.95),
            'synthesis.diversity': torch.tensor(1.0)})
    assert hook.report()['healthy'] and runner.capture.warnings() == []
