"""Run many short multi-process trainings and count the ones that abort.

Each run is ``tools/dist_train.sh CONFIG NPROC`` (torchrun; gloo on CPUs)
with the current interpreter, a free port, a fresh work dir and tiny
``--cfg-options``; it is classified as

* ``ok``: exit status 0 and no sign of an abort;
* ``abort``: a process died of a signal (other than the SIGTERM torchrun
  sends the survivors once a process has failed) or printed
  ``terminate called`` / ``Aborted`` (e.g. a C++ exception escaping a
  gloo/DDP thread at exit), even if training itself had finished;
* ``failure``: any other non-zero exit status (the note shows the first
  error a rank reported), or a timeout.

Prints one row per run, then ``runs: N, ok: K, aborts: A, failures: F``;
exits with status 1 if any run aborted or failed. The output of every run
that is not ``ok`` is kept under the work root (``--keep`` keeps all).

Example (the figures in docs/distributed.md)::

    OMP_NUM_THREADS=1 python tools/stress_dist.py --runs 20
"""
import argparse
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_TEACHER = osp.join(ROOT, 'work_dirs', 'digits_teacher', 'teacher.pth')
#: Settings making a digits data-free config take seconds: 4 rounds of a
#: global batch of 8, a checkpoint every 2 rounds, validation and the
#: student export at the end (the exit path the stress is about).
TINY = [
    'train_dataloader.batch_size=8',
    'train_cfg.max_iters=4',
    'train_cfg.val_interval=4',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1',
]
#: Output that means a process aborted or crashed.
ABORT_PATTERNS = [
    re.compile(r'terminate called'),
    re.compile(r'\bAborted\b'),
    re.compile(r'core dumped'),
    re.compile(r'Fatal Python error'),
    re.compile(r'Segmentation fault'),
]
#: torchrun's report of a child that died of a signal: ``exitcode : -6``.
SIGNAL_EXIT = re.compile(r'exitcode\s*:\s*-(\d+)')
#: What torchrun sends the other children once one has failed: a
#: consequence of that failure, not an abort.
SIGTERM = 15


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=20,
                        help='consecutive trainings (default 20)')
    parser.add_argument('--nproc', type=int, default=2,
                        help='processes per training (default 2)')
    parser.add_argument('--config', default='configs/dfq_digits.py')
    parser.add_argument(
        '--teacher',
        help='teacher weights (default: a copy of work_dirs/digits_teacher/'
        'teacher.pth if present, else randomly initialised digits teacher '
        'weights: the exit path does not depend on accuracy)')
    parser.add_argument('--timeout', type=float, default=300,
                        help='seconds per run before it counts as a failure')
    parser.add_argument('--work-root',
                        help='folder for the runs (default: a new temp dir)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work dirs of ok runs too')
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='more key=value options for every run')
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def random_teacher(path: str) -> str:
    """Untrained digits-teacher weights (enough to exercise the runs)."""
    import torch

    import mmdfkd  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmdfkd.models.algorithms.networks import build_network
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/models/digits_teacher.py'))
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        teacher = build_network(cfg.teacher.to_dict(), 'teacher')
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def classify(returncode: Optional[int], output: str) -> tuple:
    """``(status, note)`` of one run; ``returncode`` None means timeout."""
    if returncode is None:
        return 'failure', 'timeout'
    lines = output.splitlines()
    for pattern in ABORT_PATTERNS:
        match = pattern.search(output)
        if match:
            line = output[:match.start()].count('\n')
            return 'abort', lines[line].strip()[:70]
    signals = [int(n) for n in SIGNAL_EXIT.findall(output)]
    killed = [n for n in signals if n != SIGTERM]
    if killed:
        return 'abort', f'a process died of signal {killed[0]}'
    if returncode < 0 or returncode > 128:
        return 'abort', f'exit status {returncode} (signal)'
    if returncode != 0:
        # a rank's own error, not torchrun's summary
        errors = [ln for ln in lines
                  if ln.startswith('[rank') and re.search(r'\w+Error: ', ln)]
        errors = errors or [ln for ln in lines
                            if re.search(r'\w+(Error|Exception)\b', ln)]
        return 'failure', (errors[0].strip()[:70] if errors
                           else f'exit status {returncode}')
    if signals:
        return 'failure', 'a process was terminated (SIGTERM)'
    return 'ok', ''


def child_env(port: int) -> dict:
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    env.setdefault('OMP_NUM_THREADS', '1')
    # a stray torchrun variable of the calling shell would change the run
    for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_PORT',
                'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'TORCHELASTIC_RUN_ID'):
        env.pop(key, None)
    return env


def run_once(index: int, args: argparse.Namespace, teacher: str,
             root: str) -> dict:
    work_dir = osp.join(root, f'run{index:03d}')
    port = free_port()
    cmd = [
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'), args.config,
        str(args.nproc), '--work-dir', work_dir, '--cfg-options',
        f'model.teacher_ckpt={teacher}', *TINY, *args.cfg_options
    ]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=child_env(port),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=args.timeout)
        returncode, output = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as err:
        returncode = None
        output = err.stdout or ''
        if isinstance(output, bytes):
            output = output.decode(errors='replace')
    seconds = time.monotonic() - start
    status, note = classify(returncode, output)
    finished = bool(
        re.search(r'Iter\(train\) \[\s*(\d+)/\1\]', output))
    if status != 'ok' or args.keep:
        os.makedirs(work_dir, exist_ok=True)
        with open(osp.join(work_dir, 'output.log'), 'w') as f:
            f.write(output)
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return dict(index=index, port=port, returncode=returncode,
                seconds=seconds, status=status, finished=finished,
                note=note, work_dir=work_dir)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.runs < 1 or args.nproc < 1:
        raise SystemExit('--runs and --nproc must be positive')
    root = args.work_root or tempfile.mkdtemp(prefix='mmdfkd_stress_')
    os.makedirs(root, exist_ok=True)
    teacher = args.teacher
    if teacher is None:
        # A copy: other jobs (e.g. `make clean`) may remove the original
        # while the runs go on.
        teacher = osp.join(root, 'teacher.pth')
        if osp.isfile(DEFAULT_TEACHER):
            shutil.copyfile(DEFAULT_TEACHER, teacher)
        else:
            random_teacher(teacher)
    print(f'{args.runs} runs of {args.nproc} processes: {args.config}, '
          f'work root {root}', flush=True)
    header = (f"{'run':>4} {'port':>6} {'exit':>5} {'seconds':>8} "
              f"{'trained':>7}  {'status':<8} note")
    print(header)
    print('-' * len(header), flush=True)
    results = []
    start = time.monotonic()
    for i in range(args.runs):
        r = run_once(i, args, teacher, root)
        results.append(r)
        code = 'T/O' if r['returncode'] is None else r['returncode']
        print(f"{i:>4} {r['port']:>6} {code:>5} {r['seconds']:>8.1f} "
              f"{'yes' if r['finished'] else 'no':>7}  {r['status']:<8} "
              f"{r['note']}", flush=True)
    total = time.monotonic() - start
    counts = {s: sum(r['status'] == s for r in results)
              for s in ('ok', 'abort', 'failure')}
    for r in results:
        if r['status'] != 'ok':
            print(f"run {r['index']} ({r['status']}): output in "
                  f"{osp.join(r['work_dir'], 'output.log')}")
    print(f'total {total:.1f} s, {total / len(results):.1f} s per run')
    print(f"runs: {len(results)}, ok: {counts['ok']}, "
          f"aborts: {counts['abort']}, failures: {counts['failure']}",
          flush=True)
    if not args.work_root and not args.keep and counts['ok'] == len(results):
        shutil.rmtree(root, ignore_errors=True)
    return 0 if counts['ok'] == len(results) else 1


if __name__ == '__main__':
    sys.exit(main())
