"""Runs of the command-line tools for the tests: bounded subprocesses in
the repository root, one thread per process (the test machines are
small), forked from a zygote while one is in use
(tests/test_tools/conftest.py starts one for the tools tests)."""
import contextlib
import os
import subprocess
import sys
from typing import Iterator, List, Optional, Tuple

from tests import process
from tests.conftest import ROOT
from tests.process import run_bounded
from tests.zygote import Zygote

#: Options making any data-free digits config tiny.
TINY = [
    'train_dataloader.batch_size=8',
    'train_cfg.val_interval=100000',
    'default_hooks.logger.interval=1',
]


#: What tool runs inherit: this process's environment when this module was
#: first imported, at collection (by the tools tests or by
#: test_fashion_mnist_configs.py). Libraries the tests import later set
#: variables of their own (scikit-learn's KMP_*), as a tool does when it
#: imports them; pytest sets PYTEST_CURRENT_TEST per test.
_ENVIRON = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}


def tool_env(**extra) -> dict:
    """The environment of a tool run: this repository's package first on
    the import path (as tools/dist_train.sh puts it), one thread."""
    env = dict(_ENVIRON, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=ROOT)
    # a stray LOCAL_RANK / RANK from the calling shell would change the run
    for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                'MASTER_PORT'):
        env.pop(key, None)
    env.update(extra)
    return env


#: The fork server of this process's tool runs, while there is one
#: (:func:`use_zygote`).
_zygote: Optional[Zygote] = None


def python_and_env(**extra) -> Tuple[str, dict]:
    """The ``python`` of a tool run and its environment
    (:func:`tool_env`): forked from the zygote of :func:`use_zygote`
    while there is one."""
    env = tool_env(**extra)
    if _zygote is None:
        return sys.executable, env
    return _zygote.python, _zygote.env(env)


def run_tool(args: List[str], timeout: int = 300,
             **env) -> subprocess.CompletedProcess:
    """Run ``python <args>`` in the repository root; stdout and stderr are
    merged into ``.stdout``."""
    python, env = python_and_env(**env)
    return run_bounded([python, *args],
                       cwd=ROOT,
                       env=env,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT,
                       text=True,
                       timeout=timeout)


def run_dist_train(config: str, args: List[str], timeout: int = 300,
                   **env) -> subprocess.CompletedProcess:
    """Run ``tools/dist_train.sh <config> 2 <args>`` (two processes on a
    free port) in the repository root; stdout and stderr are merged into
    ``.stdout``."""
    python, env = python_and_env(PORT=str(process.free_port()), **env)
    return run_bounded(
        ['bash', 'tools/dist_train.sh', str(config), '2', *args],
        cwd=ROOT,
        env=dict(env, PYTHON=python),
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


@contextlib.contextmanager
def use_zygote() -> Iterator[Zygote]:
    """Fork this process's tool runs from one process that imported torch
    and mmdfkd once (tests/zygote.py) while the context lasts: ~4 CPU s of
    imports a process less."""
    global _zygote
    with Zygote(tool_env()) as zygote:
        _zygote = zygote
        try:
            yield zygote
        finally:
            _zygote = None
