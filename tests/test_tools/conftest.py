"""Helpers for the command-line tools tests: bounded subprocesses in the
repository root, one thread per process (the test machines are small)."""
import functools
import os
import subprocess
import sys
from typing import List, Optional

import pytest

from tests.conftest import ROOT
from tests import process
from tests.process import run_bounded
from tests.zygote import Zygote

#: Options making any data-free digits config tiny.
TINY = [
    'train_dataloader.batch_size=8',
    'train_cfg.val_interval=100000',
    'default_hooks.logger.interval=1',
]


def tool_env(**extra) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    # a stray LOCAL_RANK / RANK from the calling shell would change the run
    for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                'MASTER_PORT'):
        env.pop(key, None)
    env.update(extra)
    return env


def run_tool(args: List[str], timeout: int = 300,
             zygote: Optional[Zygote] = None,
             **env) -> subprocess.CompletedProcess:
    """Run ``python <args>`` in the repository root, forked from ``zygote``
    if given (the ``tool`` fixture's); stdout and stderr are merged into
    ``.stdout``."""
    env = tool_env(**env)
    return run_bounded([zygote.python if zygote else sys.executable, *args],
                       cwd=ROOT,
                       env=zygote.env(env) if zygote else env,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       text=True,
                       timeout=timeout)


def run_dist_train(config: str, args: List[str], timeout: int = 300,
                   **env) -> subprocess.CompletedProcess:
    """Run ``tools/dist_train.sh <config> 2 <args>`` (two processes on a
    free port) in the repository root; stdout and stderr are merged into
    ``.stdout``."""
    return run_bounded(
        ['bash', 'tools/dist_train.sh', str(config), '2', *args],
        cwd=ROOT,
        env=tool_env(PYTHON=sys.executable,
                     PORT=str(process.free_port()),
                     **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)


def dist_train(config: str, work_dir, options: List[str], *extra: str,
               **env) -> subprocess.CompletedProcess:
    """:func:`run_dist_train` into ``work_dir`` with ``--cfg-options
    options``; ``extra`` flags (``--resume``) go before them."""
    return run_dist_train(
        config,
        ['--work-dir', str(work_dir), *extra, '--cfg-options', *options],
        **env)


def short_run(teacher_ckpt: str, max_iters: int) -> List[str]:
    """Options of the two-process train-then-resume tests: ``max_iters``
    rounds of 16-image batches (8 per rank) from the given teacher, no
    validation."""
    return [
        f'model.teacher_ckpt={teacher_ckpt}',
        f'train_cfg.max_iters={max_iters}', 'train_dataloader.batch_size=16',
        'train_cfg.val_interval=100'
    ]


@pytest.fixture(scope='session', name='tool_env')
def tool_env_fixture():
    return tool_env


@pytest.fixture(scope='session')
def tool():
    """:func:`run_tool`, each process forked from one that imported torch
    and mmdfkd once (tests/zygote.py): ~4 CPU s of imports a run less."""
    with Zygote(tool_env()) as zygote:
        yield functools.partial(run_tool, zygote=zygote)


@pytest.fixture(scope='session')
def tiny_options(trained_teacher):
    return [f'model.teacher_ckpt={trained_teacher}', *TINY]


@pytest.fixture
def free_port() -> int:
    return process.free_port()
