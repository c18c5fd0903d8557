"""ProgressHook: the first rounds logged with time per round and ETA, one
warning for a GPU-sized run on a CPU; wired in the data-free runtime."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import LoggerHook
from torch import nn

from mmdfkd.engine.hooks import ProgressHook
from mmdfkd.engine.hooks import progress_hook as hook_module
from tests.conftest import load_cfg


class Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def fake_runner(max_iters, device='cpu', interval=50, start=0):
    logger = logging.getLogger(f'progress_hook_test_{device}_{max_iters}')
    logger.setLevel(logging.INFO)
    handler = Records()
    logger.addHandler(handler)
    model = nn.Linear(2, 2, device=device)
    runner = SimpleNamespace(
        iter=start, max_iters=max_iters, model=model, logger=logger,
        hooks=[LoggerHook(interval=interval)])
    return runner, handler


def run_rounds(hook, runner, seconds, rounds, monkeypatch):
    """``rounds`` rounds of ``seconds`` each on a fake clock."""
    clock = [1000.0]
    monkeypatch.setattr(hook_module.time, 'perf_counter', lambda: clock[0])
    hook.before_train(runner)
    for _ in range(rounds):
        hook.before_train_iter(runner, runner.iter)
        clock[0] += seconds
        hook.after_train_iter(runner, runner.iter)
        runner.iter += 1


def test_first_rounds_logged_with_time_and_eta(monkeypatch):
    """The segmentation case: 240 s a round, 15000 rounds, a logger line
    every 50 rounds. The first line used to come after 50 rounds (3 h 20)."""
    runner, records = fake_runner(15000)
    hook = ProgressHook()
    run_rounds(hook, runner, 240.0, 60, monkeypatch)
    info = [r.getMessage() for r in records.records
            if r.levelno == logging.INFO]
    assert info[0] == ('training: rounds 1 to 15000 on cpu; the first '
                       'rounds are logged as they end')
    # rounds 1, 2, 3, 5, 10, 20: all before the logger's round 50
    assert info[1:] == [
        f'round {r}/15000: 240.00 s per round, ETA '
        f'{hook_module._duration(240.0 * (15000 - r))}'
        for r in (1, 2, 3, 5, 10, 20)
    ]
    assert hook_module._duration(240.0 * 14999) == '41 days, 15:56:00'
    warnings = [r.getMessage() for r in records.records
                if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once, after the first round
    assert warnings[0].startswith('this run is sized for a GPU: on this '
                                  'CPU its 15000 rounds take about 41 days, '
                                  '16:00:00 (240.0 s each)')
    assert 'train_cfg.max_iters' in warnings[0]


def test_rounds_counted_from_the_resume_point(monkeypatch):
    runner, records = fake_runner(1000, start=900)
    run_rounds(ProgressHook(), runner, 2.0, 3, monkeypatch)
    info = [r.getMessage() for r in records.records]
    assert info == [
        'training: rounds 901 to 1000 on cpu; the first rounds are logged '
        'as they end',
        'round 901/1000: 2.00 s per round, ETA 0:03:18',
        'round 902/1000: 2.00 s per round, ETA 0:03:16',
        'round 903/1000: 2.00 s per round, ETA 0:03:14',
    ]


@pytest.mark.parametrize('device,seconds', [('cpu', 0.5), ('meta', 240.0)])
def test_no_warning_when_short_or_not_on_a_cpu(monkeypatch, device,
                                               seconds):
    runner, records = fake_runner(15000, device=device)
    run_rounds(ProgressHook(), runner, seconds, 5, monkeypatch)
    assert not [r for r in records.records if r.levelno >= logging.WARNING]


def test_nothing_the_logger_already_shows(monkeypatch):
    runner, records = fake_runner(100, interval=2)
    run_rounds(ProgressHook(), runner, 1.0, 10, monkeypatch)
    assert [r.getMessage() for r in records.records][1:] == [
        'round 1/100: 1.00 s per round, ETA 0:01:39'
    ]


@pytest.mark.parametrize('config', [
    'configs/dfq_digits.py', 'configs/ddad_deeplabv3_camvid.py',
    'configs/dfad_deeplabv3_nyuv2.py', 'configs/deepinv_digits.py',
    'configs/cmi_resnet34_resnet18_cifar10.py',
    'configs/rdskd_wrn40_2_wrn16_1_svhn.py'
])
def test_every_data_free_runtime_has_it(config):
    """In the runtime base's default_hooks, which configs merge by key:
    configs that redefine default_hooks or custom_hooks keep it."""
    cfg = load_cfg(config)
    assert cfg.default_hooks.progress == dict(type='ProgressHook')


def test_built_by_the_runner(dfad_run):
    assert any(isinstance(h, ProgressHook) for h in dfad_run.hooks)


def test_it_only_observes(monkeypatch):
    """The model's weights and the RNG state are what they were."""
    runner, _ = fake_runner(15000)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    rng = torch.get_rng_state()
    run_rounds(ProgressHook(), runner, 240.0, 25, monkeypatch)
    assert all(torch.equal(before[k], v)
               for k, v in runner.model.state_dict().items())
    assert torch.equal(rng, torch.get_rng_state())
