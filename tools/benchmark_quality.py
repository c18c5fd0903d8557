"""Quality report: data-free methods of a task under one training budget.

Each method's config runs through ``tools/train.py`` (a subprocess, seeded)
with a hard cap of ``--budget`` seconds of training (validation excluded;
CPU seconds of the run by default, which stay comparable when other jobs
load the machine, or wall-clock seconds with ``--clock wall``) and its
schedules stretched to the rounds planned for that budget; a
``ValCurveHook`` records the validation accuracy against training time and
a ``CheckpointHook`` keeps the best-validated checkpoint. Then the final
student and the validation-selected one are tested on the test split.
Written under ``--work-dir``:

- ``summary.json``: per method the test accuracy of the final and of the
  validation-selected student and their ratio to the teacher, the
  rounds, training seconds (wall and CPU), the seconds (wall and CPU) to
  first reach 90 % and 95 % of the teacher's validation accuracy, the
  validation curve, the machine load; the commit, seed, command and
  machine;
- ``summary.md``: the table;
- ``val_curves.png``: validation accuracy against training seconds (wall
  and CPU), every method on one figure;
- ``synthetic_grids.png``: each method's latest synthesized batch.

Rounds (``--rounds``): ``probe`` (default) times each method for
``--probe-seconds`` first and plans ``budget / seconds per round`` (a
staged schedule, RDSKD's, is timed stage by stage and its stages' costs
weighted by their shares of the rounds; a method whose rounds grow dearer
as it runs, CMI's while its memory bank fills, can be stopped by the
budget before its schedule ends, which the summary says, and ``--rounds``
sets its length by hand);
``config`` keeps each config's own length; an integer gives every method
that many; a ``summary.json`` of an earlier report repeats its planned
rounds per method (before/after comparisons with equal work).

``--dry-run`` checks a command before its long run, in seconds and
without training or writing anything: the arguments (an earlier report in
``--work-dir`` included), the teacher checkpoint (loaded strictly into the
teacher config's model, whose validation and test loaders each give a
batch; a missing one is reported as what the run would train first) and
every named method's config as the report would run it (``--cfg-options``,
seed, rounds, budget hooks): its runner built with the teacher loaded into
the distiller, a batch drawn from its training and validation loaders.

Usage: ``python tools/benchmark_quality.py TASK [--methods ...]
[--budget SECONDS] [--rounds probe|config|N|SUMMARY] [--dry-run]``
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction

from mmdfkd.benchmark.quality_report import (METRIC, grid_figure,
                                             markdown_table, method_row,
                                             plot_curves)
from mmdfkd.benchmark.rounds import scale_rounds, single_stage, stage_shares
from mmdfkd.engine import build_runner
from mmdfkd.engine.work_dir import earlier_run
from mmdfkd.tasks import TASKS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Hooks this tool adds; a config's own copies are replaced.
OWN_HOOKS = ('ValCurveHook', 'TimeBudgetHook')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(f'{name}: {task.description}'
                         for name, task in TASKS.items()))
    parser.add_argument('task', choices=sorted(TASKS))
    parser.add_argument(
        '--methods', nargs='+',
        help='methods (and references, e.g. kd) to run; default: every '
        'data-free method of the task')
    parser.add_argument(
        '--budget', type=float, default=600,
        help='seconds of training per method, validation excluded: the '
        'runs stop there (default: %(default)s)')
    parser.add_argument(
        '--clock', choices=('cpu', 'wall'), default='cpu',
        help='what --budget counts: the run\'s CPU seconds (far less '
        'dependent on the load of a shared machine than wall time, not '
        'independent of it: --rounds fixes the work) or wall-clock seconds '
        '(default: %(default)s)')
    parser.add_argument(
        '--rounds', default='probe',
        help="'probe', 'config', a number, or an earlier summary.json "
        '(default: %(default)s)')
    parser.add_argument(
        '--probe-seconds', type=float,
        help='length of the timing run of --rounds probe, of each stage '
        'of a staged schedule (default: a tenth of the budget, at most '
        '60)')
    parser.add_argument(
        '--val-points', type=int, default=20,
        help='validations per run (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--threads', type=int,
        help='OMP_NUM_THREADS of the runs (default: the environment\'s, '
        'else 1)')
    parser.add_argument('--work-dir', help='default: work_dirs/quality/TASK')
    parser.add_argument(
        '--teacher-ckpt',
        help="the teacher's weights (default: the task's; trained with "
        'tools/train.py when missing)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='overrides for every method config')
    parser.add_argument(
        '--overwrite', action='store_true',
        help="replace the methods' runs of an earlier report in --work-dir "
        '(their checkpoints and exports)')
    parser.add_argument(
        '--dry-run', action='store_true',
        help="check the command without training: the teacher and every "
        "method's config and data as the run would use them, built in a "
        'temporary folder (nothing is written)')
    args = parser.parse_args(argv)
    task = TASKS[args.task]
    args.methods = args.methods or list(task.methods)
    unknown = [m for m in args.methods if task.config(m) is None]
    if unknown:
        parser.error(f'unknown methods {unknown} for task {args.task}; '
                     f'choose from {sorted(task.methods)} and references '
                     f'{sorted(task.references)}')
    if args.budget <= 0:
        parser.error('--budget must be > 0')
    if args.val_points < 1:
        parser.error('--val-points must be >= 1')
    args.planned = planned_rounds(parser, args.rounds, args.methods)
    if args.probe_seconds is None:
        args.probe_seconds = min(60.0, args.budget / 10)
    args.work_dir = osp.abspath(args.work_dir
                                or osp.join('work_dirs', 'quality',
                                            args.task))
    earlier = [
        osp.relpath(d, args.work_dir) for m in args.methods
        for d in [osp.join(args.work_dir, m),
                  osp.join(args.work_dir, m, 'probe')] +
        sorted(glob.glob(osp.join(args.work_dir, m, 'probe', 'stage_*')))
        if earlier_run(d)
    ]
    if earlier and not args.overwrite:
        # before the teacher is evaluated: nothing is computed in vain
        parser.error(f'{args.work_dir} holds the runs of an earlier report '
                     f'({", ".join(earlier)}); pass another --work-dir, or '
                     '--overwrite to replace them')
    return args


def planned_rounds(parser, rounds: str, methods):
    """``--rounds`` as 'probe', 'config', or method → rounds."""
    if rounds in ('probe', 'config'):
        return rounds
    if rounds.isdigit() and int(rounds) > 0:
        return {m: int(rounds) for m in methods}
    if osp.isfile(rounds):
        with open(rounds) as f:
            earlier = json.load(f)['methods']
        missing = [m for m in methods
                   if not earlier.get(m, {}).get('rounds_planned')]
        if missing:
            parser.error(f'{rounds} has no planned rounds for {missing}')
        return {m: int(earlier[m]['rounds_planned']) for m in methods}
    parser.error(f"--rounds must be 'probe', 'config', a positive number or "
                 f'an earlier summary.json, got {rounds!r}')


# ----------------------------------------------------------------- records
def git_commit() -> dict:
    def git(*cmd):
        return subprocess.run(['git', *cmd], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
    return dict(
        hash=git('rev-parse', 'HEAD') or 'unknown',
        dirty=bool(git('status', '--porcelain', '--untracked-files=no')))


def machine(threads: int) -> dict:
    import torch
    info = dict(platform=platform.platform(), python=platform.python_version(),
                torch=torch.__version__, cpus=os.cpu_count(),
                threads=threads)
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    info['cpu'] = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def run_env(threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE'):
        env.pop(key, None)
    return env


def train(config: str, work_dir: str, env: dict,
          overwrite: bool = False) -> dict:
    """``tools/train.py config --work-dir work_dir [--overwrite]`` in a
    subprocess, its output in ``work_dir/train.log``; the load average is
    sampled every 5 seconds while it runs."""
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'train.log')
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
           '--work-dir', work_dir] + (['--overwrite'] if overwrite else [])
    start = time.time()
    loads = [os.getloadavg()[0]]
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            while True:
                try:
                    proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    loads.append(os.getloadavg()[0])
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
    return dict(
        returncode=proc.returncode, log=log_path,
        wall_seconds=time.time() - start,
        load=dict(mean=sum(loads) / len(loads), max=max(loads),
                  start=loads[0], end=os.getloadavg()[0]))


def log_tail(path: str, lines: int = 5) -> str:
    with open(path, errors='replace') as f:
        return ' / '.join(f.read().strip().splitlines()[-lines:])


# ---------------------------------------------------------------- teachers
def ensure_teacher(task, ckpt: str, env: dict) -> str:
    """The teacher checkpoint ``ckpt``; trained with ``tools/train.py``
    and the task's teacher config into ``ckpt``'s folder when missing (its
    ``TeacherExportHook`` writes ``teacher.pth`` there, copied to ``ckpt``
    when that has another name)."""
    ckpt = osp.abspath(ckpt)
    if osp.isfile(ckpt):
        return ckpt
    work_dir = osp.dirname(ckpt)
    print(f'[quality] training the teacher: {task.teacher_config}')
    run = train(osp.join(ROOT, task.teacher_config), work_dir, env)
    if run['returncode']:
        raise RuntimeError(f'teacher training failed, see {run["log"]}: '
                           f'{log_tail(run["log"])}')
    written = osp.join(work_dir, 'teacher.pth')
    if not osp.isfile(written):
        raise RuntimeError(
            f'{task.teacher_config} wrote no {written}: its custom_hooks '
            "need dict(type='mmdfkd.TeacherExportHook')")
    if written != ckpt:
        shutil.copyfile(written, ckpt)
    return ckpt


def evaluate(cfg: Config, work_dir: str, checkpoint: str,
             splits=('test', )) -> dict:
    """Accuracy (%) of ``checkpoint`` on the config's val / test loaders."""
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    # its own visualizer: one started in the same second under the same
    # name would write into another evaluation's folder (see dry_run)
    cfg.experiment_name = '_'.join(osp.normpath(work_dir).split(os.sep)[-2:])
    cfg.load_from = checkpoint
    cfg.log_level = 'WARNING'
    if cfg.get('default_hooks'):
        cfg.default_hooks = {key: hook
                             for key, hook in cfg.default_hooks.items()
                             if hook.get('type') not in OWN_HOOKS}
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks') or []
                        if h.get('type') not in OWN_HOOKS]
    runner = build_runner(cfg)
    out = {}
    if 'val' in splits:
        out['val'] = float(runner.val()[METRIC])
    if 'test' in splits:
        out['test'] = float(runner.test()[METRIC])
    return out


# ----------------------------------------------------------------- methods
def run_config(config: str, teacher_ckpt: str, args, rounds=None,
               probe: bool = False) -> Config:
    """The method's config as this report runs it: the task's teacher, the
    seed, ``rounds`` (schedules stretched), the curve and budget hooks,
    validation ``--val-points`` times (none in a probe) with the best
    checkpoint kept."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.randomness = dict(seed=args.seed)
    if rounds is not None:
        scale_rounds(cfg, rounds)
    max_iters = cfg.train_cfg.max_iters
    interval = max(1, max_iters // args.val_points)
    for hook in cfg.default_hooks.values():
        if hook.get('type') == 'SyntheticImageGridHook':
            hook['interval'] = interval  # a recent grid wherever it stops
    seconds = args.probe_seconds if probe else args.budget
    # after the config's runtime hooks (keyed in default_hooks), as i12
    # measured: the curve's clock starts once they are set up
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
        dict(type='ValCurveHook'),
        dict(type='TimeBudgetHook', seconds=seconds, clock=args.clock)
    ]
    checkpoint = dict(type='CheckpointHook', by_epoch=False,
                      interval=max_iters, max_keep_ckpts=1, save_last=True)
    if probe:
        for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
            cfg[key] = None
        if cfg.model.get('warmup_rounds'):
            cfg.model.warmup_rounds = 0  # time full rounds
    else:
        cfg.train_cfg.val_interval = interval
        checkpoint.update(save_best=METRIC, rule='greater')
    cfg.default_hooks.checkpoint = checkpoint
    return cfg


def probe_rounds(name: str, config: str, teacher_ckpt: str, args,
                 env: dict) -> dict:
    """Time rounds of the method for ``--probe-seconds``; plan the rounds
    that fit the budget. A staged schedule (RDSKD) is timed stage by stage,
    ``--probe-seconds`` each, and its rounds cost the stages' costs
    weighted by their shares of the run."""
    cfg = run_config(config, teacher_ckpt, args, probe=True)
    work_dir = osp.join(args.work_dir, name, 'probe')
    shares = stage_shares(cfg)
    if shares is None:
        timed = time_rounds(cfg, work_dir, args, env)
        per_round = timed['seconds_per_round']
    else:
        stages = [
            dict(share=share, **time_rounds(
                single_stage(cfg, i), osp.join(work_dir, f'stage_{i}'),
                args, env)) for i, share in enumerate(shares) if share > 0
        ]
        per_round = sum(s['share'] * s['seconds_per_round'] for s in stages)
        loads = [s['load'] for s in stages]
        timed = dict(
            rounds=sum(s['rounds'] for s in stages),
            seconds=sum(s['seconds'] for s in stages),
            cpu_seconds=sum(s['cpu_seconds'] for s in stages),
            load=dict(mean=sum(x['mean'] for x in loads) / len(loads),
                      max=max(x['max'] for x in loads),
                      start=loads[0]['start'], end=loads[-1]['end']),
            stages=stages)
    return dict(timed, clock=args.clock, seconds_per_round=per_round,
                planned=max(1, int(args.budget / per_round)))


def time_rounds(cfg: Config, work_dir: str, args, env: dict) -> dict:
    """Run a probe config in ``work_dir``; its rounds and seconds."""
    os.makedirs(work_dir, exist_ok=True)
    cfg_path = osp.join(work_dir, 'config.py')
    cfg.dump(cfg_path)
    run = train(cfg_path, work_dir, env, args.overwrite)
    if run['returncode']:
        raise RuntimeError(f'probe failed: {log_tail(run["log"])}')
    with open(osp.join(work_dir, 'val_curve.json')) as f:
        curve = json.load(f)
    done = curve['rounds']
    key = 'seconds' if args.clock == 'wall' else 'cpu_seconds'
    first = curve[f'first_round_{key}']
    per_round = ((curve[key] - first) / (done - 1) if done > 1 else
                 curve[key])
    return dict(rounds=done, seconds=curve['seconds'],
                cpu_seconds=curve['cpu_seconds'],
                seconds_per_round=per_round, load=run['load'])


def latest_grid(work_dir: str):
    grids = glob.glob(
        osp.join(work_dir, '*', 'vis_data', 'vis_image', 'synthetic_*.png'))

    def step(path):
        return int(re.findall(r'(\d+)\.png$', path)[0])
    return max(grids, key=step) if grids else None


def run_method(name: str, config: str, teacher_ckpt: str, teacher: dict,
               args, env: dict) -> dict:
    work_dir = osp.join(args.work_dir, name)
    entry = dict(config=config)
    if args.planned == 'probe':
        entry['probe'] = probe_rounds(name, config, teacher_ckpt, args, env)
        rounds = entry['probe']['planned']
    elif args.planned == 'config':
        rounds = None
    else:
        rounds = args.planned[name]
    cfg = run_config(config, teacher_ckpt, args, rounds)
    entry['rounds_planned'] = cfg.train_cfg.max_iters
    cfg_path = osp.join(work_dir, 'config.py')
    os.makedirs(work_dir, exist_ok=True)
    cfg.dump(cfg_path)
    print(f'[quality] {name}: {entry["rounds_planned"]} rounds, at most '
          f'{args.budget:.0f} s ({args.clock}) of training')
    run = train(cfg_path, work_dir, env, args.overwrite)
    entry.update(run_config=cfg_path, log=run['log'], load=run['load'],
                 wall_seconds=run['wall_seconds'])
    if run['returncode']:
        entry['error'] = (f'exit {run["returncode"]}: '
                          f'{log_tail(run["log"], 3)}')
        return entry
    with open(osp.join(work_dir, 'val_curve.json')) as f:
        curve = json.load(f)
    student_dir = osp.join(work_dir, 'student')
    final = evaluate(
        Config.fromfile(osp.join(student_dir, 'student_config.py')),
        osp.join(work_dir, 'eval_final'),
        osp.join(student_dir, 'student.pth'))['test']
    selected = None
    if curve.get('best_ckpt'):
        selected = evaluate(Config.fromfile(cfg_path),
                            osp.join(work_dir, 'eval_selected'),
                            curve['best_ckpt'])['test']
    entry.update(method_row(curve, teacher['val_accuracy'],
                            teacher['test_accuracy'], final, selected))
    entry['stopped_by_budget'] = curve['rounds'] < curve['max_iters']
    entry['grid'] = latest_grid(work_dir)
    return entry


# ----------------------------------------------------------------- dry run
def first_batches(runner, cfg: Config, loaders, drawn: set) -> None:
    """Draw one batch from each of ``cfg``'s ``loaders`` that is set and
    not in ``drawn`` (loader configs already checked, as text)."""
    for key in loaders:
        text = json.dumps(cfg.get(key), sort_keys=True, default=str)
        if cfg.get(key) and text not in drawn:
            next(iter(runner.build_dataloader(cfg[key])))
            drawn.add(text)


def dry_run(args, task) -> dict:
    """Build what the report would run, train nothing (``--dry-run``)."""
    ckpt = osp.abspath(args.teacher_ckpt
                       or osp.join(ROOT, task.teacher_ckpt))
    found = osp.isfile(ckpt)
    out = dict(task=args.task, dry_run=True, teacher=dict(
        config=task.teacher_config, checkpoint=ckpt, found=found),
        methods={})
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config.fromfile(osp.join(ROOT, task.teacher_config))
        cfg.work_dir = osp.join(tmp, 'teacher')
        # mmengine keeps one visualizer per experiment name and process,
        # and names a run by its start second: a runner of a later dry run
        # in this process would get this one's, whose folder is gone
        cfg.experiment_name = f'dry_run_{osp.basename(tmp)}_teacher'
        cfg.load_from = ckpt if found else None
        cfg.log_level = 'WARNING'
        drawn = set()
        first_batches(build_runner(cfg), cfg,
                      ('val_dataloader', 'test_dataloader'), drawn)
        print(f'[quality] dry run: teacher {task.teacher_config}: ' + (
            f'{ckpt} loads' if found else
            f'{ckpt} is missing: the run trains it first'))
        for name in args.methods:
            config = task.config(name)
            rounds = (args.planned[name] if isinstance(args.planned, dict)
                      else None)
            if args.planned == 'probe':
                run_config(config, ckpt if found else None, args,
                           probe=True)
            cfg = run_config(config, ckpt if found else None, args, rounds)
            cfg.work_dir = osp.join(tmp, name)
            cfg.experiment_name = f'dry_run_{osp.basename(tmp)}_{name}'
            cfg.log_level = 'WARNING'
            first_batches(build_runner(cfg), cfg,
                          ('train_dataloader', 'val_dataloader'), drawn)
            planned = ('a probe of {:g} s plans them'.format(
                args.probe_seconds) if args.planned == 'probe' else
                cfg.train_cfg.max_iters)
            out['methods'][name] = dict(config=config,
                                        rounds_planned=planned)
            print(f'[quality] dry run: {name} ({config}): builds, '
                  f'rounds: {planned}, at most {args.budget:g} s '
                  f'({args.clock}) of training')
    print(f'[quality] dry run ok: nothing trained; {args.work_dir} would '
          'hold the report')
    return out


def main(argv=None) -> dict:
    args = parse_args(argv)
    task = TASKS[args.task]
    if args.dry_run:
        return dry_run(args, task)
    threads = args.threads or int(os.environ.get('OMP_NUM_THREADS') or 1)
    import torch
    torch.set_num_threads(threads)
    env = run_env(threads)
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()

    teacher_ckpt = ensure_teacher(
        task, args.teacher_ckpt or osp.join(ROOT, task.teacher_ckpt), env)
    accs = evaluate(Config.fromfile(osp.join(ROOT, task.teacher_config)),
                    osp.join(args.work_dir, 'teacher_eval'), teacher_ckpt,
                    splits=('val', 'test'))
    teacher = dict(config=task.teacher_config, checkpoint=teacher_ckpt,
                   val_accuracy=accs['val'], test_accuracy=accs['test'])
    print(f'[quality] teacher: val {accs["val"]:.2f} %, test '
          f'{accs["test"]:.2f} %')

    summary = dict(
        task=args.task,
        command='python tools/benchmark_quality.py ' + ' '.join(
            sys.argv[1:] if argv is None else argv),
        commit=git_commit(),
        seed=args.seed,
        budget=dict(seconds=args.budget,
                    clock=args.clock,
                    rounds=args.rounds,
                    probe_seconds=args.probe_seconds,
                    val_points=args.val_points),
        machine=machine(threads),
        teacher=teacher,
        accuracy_note='test split; final = the student at the end of the '
        'run, val_selected = the checkpoint with the best validation '
        'accuracy; seconds / cpu_seconds = training wall-clock / CPU time '
        'of the run, validation excluded',
        methods={})
    out = osp.join(args.work_dir, 'summary.json')
    for name in args.methods:
        try:
            entry = run_method(name, task.config(name), teacher_ckpt,
                               teacher, args, env)
        except RuntimeError as e:
            entry = dict(config=task.config(name), error=str(e))
        summary['methods'][name] = entry
        with open(out, 'w') as f:  # what is done so far survives a crash
            json.dump(summary, f, indent=1)
        if 'error' in entry:
            print(f'[quality] {name} FAILED: {entry["error"]}')
        else:
            final = entry['final']
            print(f'[quality] {name}: final {final["test_accuracy"]:.2f} %, '
                  f'ratio {final["ratio"]:.3f}, {entry["seconds"]:.0f} s '
                  f'({entry["cpu_seconds"]:.0f} s CPU)')

    summary['seconds'] = time.time() - start
    summary['plot'] = plot_curves(summary,
                                  osp.join(args.work_dir, 'val_curves.png'))
    summary['grids'] = grid_figure(
        {m: e.get('grid') for m, e in summary['methods'].items()},
        osp.join(args.work_dir, 'synthetic_grids.png'))
    table = markdown_table(summary)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(table)
    with open(out, 'w') as f:
        json.dump(summary, f, indent=1)
    print(table)
    print(f'[quality] {out}')
    failed = [m for m, e in summary['methods'].items() if 'error' in e]
    if failed:
        print(f'[quality] failed: {failed}')
    return summary


if __name__ == '__main__':
    sys.exit(1 if any('error' in e
                      for e in main()['methods'].values()) else 0)
