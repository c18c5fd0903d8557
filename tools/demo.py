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
import hashlib
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

from mmdfkd.engine import build_runner, train_teacher_weights
from mmdfkd.tasks import TASKS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The demo's tasks; a task's first method is its default (its best).
DEMO_TASKS = ('digits', 'fmnist')
#: Where each task's teacher is cached: digits in a folder of the demo's
#: own, Fashion-MNIST where ``tools/train.py <teacher config>`` writes it
#: (the file the method configs read), so that both share one teacher.
TEACHER_DIRS = {
    'digits': 'work_dirs/digits_teacher',
    'fmnist': osp.dirname(TASKS['fmnist'].teacher_ckpt),
}
DEFAULT_TEACHER_DIR = TEACHER_DIRS['digits']
#: The test split each task's summary reports on.
TEST_SPLITS = {
    'digits': 'test split (540 held-out images)',
    'fmnist': 'official test split (10,000 images)',
}
#: --cfg-options under this prefix change the teacher's architecture: they
#: apply to the teacher's own training and evaluation config too.
TEACHER_PREFIX = 'model.teacher.'
#: A student-to-teacher ratio above this is explained in the summary.
RATIO_NOTE_ABOVE = 1.05


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
        help='teacher weights cache (default: work_dirs/digits_teacher; '
        f'fmnist: {TEACHER_DIRS["fmnist"]}; <default>_<hash> when '
        f'--cfg-options change {TEACHER_PREFIX}*)')
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
    if args.nproc < 1:
        parser.error('--nproc must be at least 1')
    return args


def teacher_options(options: dict) -> dict:
    """The teacher-architecture overrides among the distillation
    ``options``, as overrides of the teacher config's ``model``."""
    return {
        'model.' + key[len(TEACHER_PREFIX):]: value
        for key, value in options.items() if key.startswith(TEACHER_PREFIX)
    }


def teacher_dir_for(teacher_dir, arch: dict, task: str = 'digits') -> str:
    """``--teacher-dir``, the task's cache folder, or a cache folder of
    its own for a teacher of another architecture (so that a cached
    default teacher is never taken for it)."""
    if teacher_dir:
        return teacher_dir
    if not arch:
        return TEACHER_DIRS[task]
    digest = hashlib.sha256(
        json.dumps(arch, sort_keys=True, default=str).encode()).hexdigest()
    return f'{TEACHER_DIRS[task]}_{digest[:8]}'


def teacher_config(arch: dict, task: str = 'digits') -> Config:
    cfg = Config.fromfile(osp.join(ROOT, TASKS[task].teacher_config))
    cfg.merge_from_dict(arch)
    return cfg


def ensure_teacher(teacher_dir: str, arch: dict,
                   task: str = 'digits') -> str:
    """Train the task's teacher (of the overridden architecture ``arch``)
    unless its weights are cached; return their path (``teacher.pth``, what
    the teacher config's ``TeacherExportHook`` writes)."""
    path = osp.join(teacher_dir, 'teacher.pth')
    if osp.isfile(path):
        print(f'[demo] reusing the teacher in {path}')
        return path
    print(f'[demo] training the teacher on the {task} train split')
    cfg = teacher_config(arch, task)
    cfg.work_dir = teacher_dir
    return train_teacher_weights(cfg, path)


def test_accuracy(runner: Runner) -> float:
    metrics = runner.test()
    return float(metrics['accuracy/top1'])


def teacher_accuracy(teacher_ckpt: str, work_dir: str, arch: dict,
                     task: str = 'digits') -> float:
    """Test accuracy of the teacher the distillation used: the same
    architecture overrides, its weights loaded strictly."""
    cfg = teacher_config(arch, task)
    cfg.work_dir = osp.join(work_dir, 'teacher_eval')
    cfg.load_from = teacher_ckpt
    return test_accuracy(build_runner(cfg))


def training_health(work_dir: str, hub_report=None) -> dict:
    """The collapse monitor's verdict: from this process's message hub, or
    the newest ``training_health.json`` a distributed run wrote."""
    if hub_report is not None:
        return hub_report
    reports = sorted(glob.glob(osp.join(work_dir, '*',
                                        'training_health.json')),
                     key=osp.getmtime)
    if not reports:
        return dict(healthy=False, problems=[
            'no training_health.json: the run had no CollapseMonitorHook'])
    with open(reports[-1]) as f:
        return json.load(f)


def ratio_note(teacher_acc: float, student_acc: float):
    """Why the student beats its teacher by more than 5 %, or None."""
    if student_acc <= RATIO_NOTE_ABOVE * teacher_acc:
        return None
    return (f'the student ({student_acc:.2f} %) beats its teacher '
            f'({teacher_acc:.2f} %) by more than '
            f'{100 * (RATIO_NOTE_ABOVE - 1):.0f} %: both were tested on the '
            'same split with their own architectures and strictly loaded '
            'weights, so the teacher itself is weak (undertrained, or an '
            'architecture that fits the data badly); compare with a stronger '
            'teacher')


def distill_here(config: str, work_dir: str, options: dict):
    """Distil in this process; return the final student's test accuracy
    and the paths of its export and of the last image grid."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    runner = build_runner(cfg)
    runner.train()
    hub = runner.message_hub
    return (test_accuracy(runner), hub.get_info('student_checkpoint'),
            hub.get_info('synthetic_grid'),
            training_health(work_dir, hub.get_info('training_health')))


def distill_distributed(config: str, work_dir: str, options: dict,
                        nproc: int):
    """Distil on ``nproc`` processes with ``tools/dist_train.sh``, then
    test the final checkpoint here."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    # --overwrite: a demo run replaces the previous demo run of its method
    cmd = [
        'bash', osp.join(ROOT, 'tools/dist_train.sh'), config, str(nproc),
        '--work-dir', work_dir, '--overwrite', '--cfg-options'
    ] + [f'{k}={v}' for k, v in options.items()]
    subprocess.run(cmd, env=env, check=True)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        cfg.load_from = f.read().strip()
    accuracy = test_accuracy(build_runner(cfg))
    grids = sorted(
        glob.glob(osp.join(work_dir, '*/vis_data/vis_image/synthetic_*.png')),
        key=osp.getmtime)
    return (accuracy, osp.join(work_dir, 'student', 'student.pth'),
            grids[-1] if grids else None, training_health(work_dir))


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    options = dict(args.cfg_options or {})
    arch = teacher_options(options)
    teacher_ckpt = ensure_teacher(
        teacher_dir_for(args.teacher_dir, arch, args.task), arch, args.task)

    config = osp.join(ROOT, TASKS[args.task].methods[args.method])
    work_dir = osp.join(args.work_dir, args.method)
    options['model.teacher_ckpt'] = teacher_ckpt
    distill_start = time.time()
    if args.nproc == 1:
        student_acc, student_ckpt, grid, health = distill_here(
            config, work_dir, options)
    else:
        student_acc, student_ckpt, grid, health = distill_distributed(
            config, work_dir, options, args.nproc)
    distill_seconds = time.time() - distill_start
    teacher_acc = teacher_accuracy(teacher_ckpt, work_dir, arch, args.task)

    summary = dict(
        task=args.task,
        method=args.method,
        teacher_accuracy=teacher_acc,
        student_accuracy=student_acc,
        student_to_teacher=student_acc / teacher_acc,
        ratio_note=ratio_note(teacher_acc, student_acc),
        healthy=bool(health['healthy']),
        problems=health['problems'],
        training_health=health,
        evaluated_on=f'{TEST_SPLITS[args.task]}, final student',
        teacher_checkpoint=teacher_ckpt,
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
    if summary['ratio_note']:
        print(f'[demo] note: {summary["ratio_note"]}')
    if not summary['healthy']:
        print('[demo] FAILED: this run does not count as a success: ' +
              '; '.join(summary['problems']))
    print(f'[demo] summary: {osp.join(args.work_dir, "summary.json")}')
    return summary


if __name__ == '__main__':
    sys.exit(0 if main()['healthy'] else 1)
