"""Kill-and-resume: a DFQ digits run (with a student EMA) killed (SIGKILL)
after its iteration-6 checkpoint and resumed with ``--resume`` ends exactly
like the same run left alone: per-iteration losses after the resume point,
and the final checkpoints (weights, EMA, optimiser states, LR schedulers,
message hub, RNG states). Also: a two-process checkpoint carries every
rank's RNG states, and a two-process resume gives each rank its own.
"""
import glob
import json
import math
import os.path as osp
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from tests.conftest import ROOT
from tests.process import run_bounded
from tests.tool_runs import run_dist_train

CONFIG = 'configs/dfq_digits.py'
MAX_ITERS = 12
OPTIONS = [
    'train_dataloader.batch_size=8',
    f'train_cfg.max_iters={MAX_ITERS}',
    'train_cfg.val_interval=1000',
    'default_hooks.checkpoint.interval=3',
    'default_hooks.logger.interval=1',
    f'param_scheduler.student.0.T_max={MAX_ITERS}',
    # a moving average of the student too: its state must come back as well
    'model.student_ema.momentum=0.1',
]
#: Wall-clock entries of the logs: they differ between any two runs.
TIMING = ('time', 'data_time')
#: runtime_info entries naming this run's files or start time.
RUN_SPECIFIC = ('cfg', 'experiment_name', 'eta', 'synthetic_grid')
TIMEOUT = 240


def train_cmd(work_dir, teacher, *extra):
    return [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        f'model.teacher_ckpt={teacher}', *OPTIONS
    ]


def last_iter(work_dir) -> int:
    with open(osp.join(str(work_dir), 'last_checkpoint')) as f:
        name = osp.basename(f.read().strip())
    return int(name[len('iter_'):-len('.pth')])


def scalars(path) -> dict:
    """Training lines of a scalars.json, by iteration."""
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return {d['iter']: d for d in lines if 'iter' in d}


def assert_same_scalars(got: dict, want: dict, where: str) -> None:
    keys = set(want) - set(TIMING)
    assert set(got) - set(TIMING) == keys, where
    for key in keys:
        assert math.isclose(got[key], want[key], rel_tol=1e-5,
                            abs_tol=1e-8), (where, key, got[key], want[key])


@pytest.fixture(scope='module')
def runs(trained_teacher, tool_env, tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    full_dir, killed_dir = root / 'full', root / 'killed'
    env = tool_env()
    logs = {name: open(root / f'{name}.log', 'w')
            for name in ('full', 'killed', 'resumed')}
    procs = []
    try:
        # The uninterrupted run goes alongside the one that gets killed.
        full = subprocess.Popen(train_cmd(full_dir, trained_teacher),
                                cwd=ROOT, env=env, stdout=logs['full'],
                                stderr=subprocess.STDOUT)
        procs.append(full)
        killed = subprocess.Popen(train_cmd(killed_dir, trained_teacher),
                                  cwd=ROOT, env=env, stdout=logs['killed'],
                                  stderr=subprocess.STDOUT)
        procs.append(killed)
        # last_checkpoint is written once iter_6.pth is complete.
        marker = killed_dir / 'last_checkpoint'
        deadline = time.monotonic() + TIMEOUT
        while killed.poll() is None and time.monotonic() < deadline:
            if marker.is_file() and marker.read_text().strip().endswith(
                    'iter_6.pth'):
                break
            time.sleep(0.002)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        killed_at = last_iter(killed_dir) if marker.is_file() else None
        resumed = run_bounded(
            train_cmd(killed_dir, trained_teacher, '--resume'), cwd=ROOT,
            env=env, stdout=logs['resumed'], stderr=subprocess.STDOUT,
            timeout=TIMEOUT)
        full.wait(timeout=TIMEOUT)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for f in logs.values():
            f.close()
    out = {name: (root / f'{name}.log').read_text() for name in logs}
    return SimpleNamespace(full=full, killed=killed, resumed=resumed,
                           full_dir=full_dir, killed_dir=killed_dir,
                           killed_at=killed_at, out=out)


def test_killed_between_checkpoints(runs):
    assert runs.full.returncode == 0, runs.out['full'][-3000:]
    assert runs.killed.returncode == -signal.SIGKILL, (
        'the run ended before it could be killed: '
        f'{runs.out["killed"][-2000:]}')
    # killed after its iteration-6 checkpoint, before the last one
    assert runs.killed_at in (6, 9), runs.killed_at


def test_resumed_from_the_last_checkpoint(runs):
    out = runs.out['resumed']
    assert runs.resumed.returncode == 0, out[-4000:]
    assert f'resumed epoch: 0, iter: {runs.killed_at}' in out
    assert 'restored the RNG states of rank 0' in out
    assert 'Iter(train) [12/12]' in out


def test_losses_after_resume_equal_uninterrupted(runs):
    assert runs.resumed.returncode == 0, runs.out['resumed'][-4000:]
    full = scalars(glob.glob(str(runs.full_dir / '*/vis_data/scalars.json'))
                   [0])
    assert sorted(full) == list(range(1, MAX_ITERS + 1))
    # one timestamped folder per start: killed run, then resumed run
    before, after = [
        scalars(p) for p in sorted(
            glob.glob(str(runs.killed_dir / '*/vis_data/scalars.json')))
    ]
    resume_at = runs.killed_at
    killed_last = max(before)
    assert resume_at <= killed_last < MAX_ITERS
    # the resumed run logs only what follows its checkpoint; iterations
    # between that checkpoint and the kill are run (and logged) again
    assert sorted(after) == list(range(resume_at + 1, MAX_ITERS + 1))
    for it, line in before.items():
        assert_same_scalars(line, full[it], f'killed run, iter {it}')
    for it, line in after.items():
        assert_same_scalars(line, full[it], f'resumed run, iter {it}')
    for it in range(resume_at + 1, killed_last + 1):
        assert_same_scalars(after[it], before[it], f'rerun of iter {it}')
    assert 'generator.loss' in after[MAX_ITERS]
    assert 'student.loss' in after[MAX_ITERS]


def same(a, b, path='', normalize=lambda v: v):
    """Recursive equality of checkpoint parts; returns the differing
    paths."""
    if isinstance(a, dict) and isinstance(b, dict):
        diffs = [f'{path}: keys {sorted(set(a) ^ set(b))}'
                 ] if set(a) != set(b) else []
        for k in set(a) & set(b):
            diffs += same(a[k], b[k], f'{path}.{k}', normalize)
        return diffs
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f'{path}: length {len(a)} vs {len(b)}']
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in same(x, y, f'{path}[{i}]', normalize)]
    if torch.is_tensor(a):
        return [] if torch.equal(a, b) else [path]
    if isinstance(a, np.ndarray):
        return [] if np.array_equal(a, b) else [path]
    if hasattr(a, '_log_history'):  # HistoryBuffer
        return [] if (np.array_equal(a._log_history, b._log_history)
                      and np.array_equal(a._count_history,
                                         b._count_history)) else [path]
    return [] if normalize(a) == normalize(b) else [f'{path}: {a!r} {b!r}']


def test_final_checkpoints_equal(runs):
    assert runs.resumed.returncode == 0, runs.out['resumed'][-4000:]
    name = f'iter_{MAX_ITERS}.pth'
    full = load_untrusted_checkpoint(str(runs.full_dir / name))
    resumed = load_untrusted_checkpoint(str(runs.killed_dir / name))
    assert set(full) == set(resumed)
    for key in ('state_dict', 'optimizer', 'param_schedulers', 'rng_state'):
        assert not same(full[key], resumed[key], key)
    assert 'student_ema.steps' in full['state_dict']
    assert set(full['optimizer']) == {'generator', 'student'}
    assert full['optimizer']['student']['state']  # momentum buffers

    def where(v, work_dir):
        return v.replace(str(work_dir), '<work_dir>') if isinstance(
            v, str) else v

    hubs = []
    for ckpt, work_dir in ((full, runs.full_dir),
                           (resumed, runs.killed_dir)):
        hub = dict(ckpt['message_hub'])
        hub['log_scalars'] = {
            k: v
            for k, v in hub['log_scalars'].items()
            if k.split('/')[-1] not in TIMING
        }
        hub['runtime_info'] = {
            k: where(v, work_dir)
            for k, v in hub['runtime_info'].items() if k not in RUN_SPECIFIC
        }
        hubs.append(hub)
    assert 'train/generator.loss' in hubs[0]['log_scalars']
    assert not same(hubs[0]['log_scalars'], hubs[1]['log_scalars'])
    assert not same(hubs[0]['runtime_info'], hubs[1]['runtime_info'])
    for key in ('iter', 'epoch', 'seed'):
        assert full['meta'][key] == resumed['meta'][key]


def test_two_processes_save_and_restore_every_rank(trained_teacher,
                                                   tool_env, tmp_path):
    """tools/stress_dist.py with one run, different seeds per rank: the
    checkpoint keeps both ranks' (different) RNG states; a two-process
    ``--resume`` gives each rank back its own (the training itself draws
    nothing from them, so the next checkpoint holds the same states, each
    at its rank)."""
    common = [
        f'model.teacher_ckpt={trained_teacher}',
        'train_dataloader.batch_size=8',
        'randomness.diff_rank_seed=True', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ]
    proc = run_bounded(
        [
            sys.executable, 'tools/stress_dist.py', '--runs', '1', '--keep',
            '--work-root',
            str(tmp_path), '--teacher', trained_teacher, '--cfg-options',
            *common, 'train_cfg.max_iters=2'
        ],
        cwd=ROOT, env=tool_env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
    logs = ''.join(
        open(p).read()[-3000:]
        for p in glob.glob(str(tmp_path / '*/output.log')))
    assert 'runs: 1, ok: 1, aborts: 0, failures: 0' in proc.stdout, \
        proc.stdout[-3000:] + logs
    assert proc.returncode == 0
    work_dir = tmp_path / 'run000'
    saved = load_untrusted_checkpoint(str(work_dir / 'iter_2.pth'))
    rng = saved['rng_state']
    assert rng['world_size'] == 2 and len(rng['ranks']) == 2
    assert not torch.equal(rng['ranks'][0]['torch'], rng['ranks'][1]['torch'])

    proc = run_dist_train(CONFIG, [
        '--work-dir',
        str(work_dir), '--resume', '--cfg-options', *common,
        'train_cfg.max_iters=3'
    ], timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert 'resumed epoch: 0, iter: 2' in proc.stdout
    after = load_untrusted_checkpoint(str(work_dir / 'iter_3.pth'))
    assert after['rng_state']['world_size'] == 2
    assert not same(rng['ranks'], after['rng_state']['ranks'], 'ranks')
