"""The embedded default: data-free distillation on scikit-learn's digits
(``--task digits``), or on Fashion-MNIST (``--task fmnist``, pair (b); the
data set up by ``make data-fashion-mnist``).

1. Trains the task's teacher on its train split (or reuses its cached
   weights), with the standard runner.
2. Distils a smaller student with a data-free method: no training image is
   read, only latent batches.
3. Evaluates teacher and the final student on the held-out test split and
   writes ``<work-dir>/summary.json``.

Usage: ``python tools/demo.py [--task digits] [--method dfq] [--nproc 2]``
(``make demo METHOD=... NPROC=...``, ``make demo-fmnist``).
"""
import argparse
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import time

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmdfkd.engine import apply_global_batch, train_teacher_weights
from mmdfkd.tasks import TASKS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The demo's tasks; a task's first method is its default (its best).
DEMO_TASKS = ('digits', 'fmnist')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--task', choices=DEMO_TASKS, default='digits')
    parser.add_argument(
        '--method',
        help='a method of the task (default: its best; digits: '
        f'{", ".join(TASKS["digits"].methods)}; fmnist: '
        f'{", ".join(TASKS["fmnist"].methods)})')
    parser.add_argument(
        '--work-dir',
        help='default: work_dirs/demo (digits), work_dirs/demo_<task>')
    parser.add_argument(
        '--teacher-dir',
        help='folder of the cached teacher (default: that of the task\'s '
        'teacher checkpoint)')
    parser.add_argument(
        '--nproc',
        type=int,
        default=1,
        help='processes for the distillation (torchrun; gloo on CPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the distillation config')
    args = parser.parse_args(argv)
    task = TASKS[args.task]
    args.method = args.method or next(iter(task.methods))
    if args.method not in task.methods:
        parser.error(f'unknown method {args.method!r}; choose one of '
                     f'{sorted(task.methods)}')
    args.work_dir = args.work_dir or (
        'work_dirs/demo' if args.task == 'digits' else
        f'work_dirs/demo_{args.task}')
    args.teacher_dir = args.teacher_dir or osp.dirname(task.teacher_ckpt)
    if args.nproc < 1:
        parser.error('--nproc must be at least 1')
    return args


def ensure_teacher(task: str, teacher_dir: str) -> str:
    """Train the task's teacher unless its weights are cached; return their
    path (the file name the task's configs read)."""
    path = osp.join(teacher_dir, osp.basename(TASKS[task].teacher_ckpt))
    if osp.isfile(path):
        print(f'[demo] reusing the teacher in {path}')
        return path
    print(f'[demo] training the teacher on the {task} train split')
    cfg = Config.fromfile(osp.join(ROOT, TASKS[task].teacher_config))
    cfg.work_dir = teacher_dir
    return train_teacher_weights(cfg, path)


def test_accuracy(runner: Runner) -> float:
    metrics = runner.test()
    return float(metrics['accuracy/top1'])


def teacher_accuracy(task: str, teacher_ckpt: str, work_dir: str) -> float:
    cfg = Config.fromfile(osp.join(ROOT, TASKS[task].teacher_config))
    cfg.work_dir = osp.join(work_dir, 'teacher_eval')
    cfg.load_from = teacher_ckpt
    return test_accuracy(Runner.from_cfg(cfg))


def distill_here(config: str, work_dir: str, options: dict):
    """Distil in this process; return the final student's test accuracy
    and the paths of its export and of the last image grid."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    apply_global_batch(cfg, world_size=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    return (test_accuracy(runner), hub.get_info('student_checkpoint'),
            hub.get_info('synthetic_grid'))


def distill_distributed(config: str, work_dir: str, options: dict,
                        nproc: int):
    """Distil on ``nproc`` processes with ``tools/dist_train.sh``, then
    test the final checkpoint here."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    cmd = [
        'bash', osp.join(ROOT, 'tools/dist_train.sh'), config, str(nproc),
        '--work-dir', work_dir, '--cfg-options'
    ] + [f'{k}={v}' for k, v in options.items()]
    subprocess.run(cmd, env=env, check=True)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        cfg.load_from = f.read().strip()
    accuracy = test_accuracy(Runner.from_cfg(cfg))
    grids = sorted(
        glob.glob(osp.join(work_dir, '*/vis_data/vis_image/synthetic_*.png')),
        key=osp.getmtime)
    return (accuracy, osp.join(work_dir, 'student', 'student.pth'),
            grids[-1] if grids else None)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    teacher_ckpt = ensure_teacher(args.task, args.teacher_dir)

    config = osp.join(ROOT, TASKS[args.task].methods[args.method])
    work_dir = osp.join(args.work_dir, args.method)
    options = dict(args.cfg_options or {})
    options['model.teacher_ckpt'] = teacher_ckpt
    distill_start = time.time()
    if args.nproc == 1:
        student_acc, student_ckpt, grid = distill_here(config, work_dir,
                                                       options)
    else:
        student_acc, student_ckpt, grid = distill_distributed(
            config, work_dir, options, args.nproc)
    distill_seconds = time.time() - distill_start
    teacher_acc = teacher_accuracy(args.task, teacher_ckpt, work_dir)

    summary = dict(
        task=args.task,
        method=args.method,
        teacher_accuracy=teacher_acc,
        student_accuracy=student_acc,
        student_to_teacher=student_acc / teacher_acc,
        evaluated_on='test split (held-out images), final student',
        distill_seconds=round(distill_seconds, 1),
        seconds=round(time.time() - start, 1),
        processes=args.nproc,
        student_checkpoint=student_ckpt,
        synthetic_grid=grid,
        config=TASKS[args.task].methods[args.method],
    )
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'[demo] {args.method}: teacher {teacher_acc:.2f} %, student '
          f'{student_acc:.2f} % ({100 * student_acc / teacher_acc:.1f} % of '
          f'the teacher) on the test split, {summary["seconds"]} s')
    print(f'[demo] summary: {osp.join(args.work_dir, "summary.json")}')
    return summary


if __name__ == '__main__':
    main()
