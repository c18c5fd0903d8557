"""The prepared GPU check: every GPU figure of docs/benchmarks.md in one
time-bounded run, written as JSON and a Markdown table.

Run through ``tools/gpu_check.sh`` (which installs the carried wheels
first). Parts, each a bounded subprocess (one that fails or runs out of
time is recorded and the next one still runs):

1. ``bench_fp32`` / ``bench_amp``: ``tools/benchmark.py`` on the CIFAR-10
   ResNet-34 → ResNet-18 recipes, channels-last, fp32 and AMP, with the
   ratio of every step to its floor and the host–device syncs per
   iteration (``--syncs``).
2. ``deepinv_r50``: one DeepInversion inner step with an ImageNet
   ResNet-50 teacher (and ResNet-18 student) at 224×224 against its floor.
3. ``amp_multi_optim``: ``tools/train.py --amp`` on a data-free config
   (generator and student optimisers, fp16 with loss scaling on a GPU).
4. ``dist_train``: ``tools/dist_train.sh`` with one process (nccl on a GPU).
5. ``camvid``: ``tools/train.py configs/ddad_deeplabv3_camvid.py`` at the
   published size on generated street scenes in CamVid's layout at
   360×480: seconds per round, peak memory, projected time of the
   published schedule.

``--dry-run``: the same parts on the CPU at tiny sizes (a test runs it).

Usage: ``python tools/gpu_check.py [--dry-run] OUT_DIR``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CAMVID = 'configs/ddad_deeplabv3_camvid.py'
DIGITS = 'configs/dfad_digits.py'
TARGETS = dict(synthesizer=1.2, student=1.1)
#: The GPU setting and its CPU dry-run counterpart, per part.
SETTINGS = {
    'gpu': dict(
        budget_s=470,
        bench=['--device', 'cuda', '--batch', '256', '--repeats', '7',
               '--warmup', '2'],
        bench_timeout=100,
        deepinv=['--device', 'cuda', '--img-size', '224', '--batch', '64',
                 '--repeats', '5', '--warmup', '2'],
        deepinv_timeout=80,
        amp_iters=50, dist_iters=20, train_timeout=60,
        scenes=(8, 4, 1), scene_size=(360, 480), camvid_rounds=20,
        camvid_options=[], camvid_timeout=150),
    'dry': dict(
        budget_s=300,
        bench=['--device', 'cpu', '--batch', '2', '--repeats', '1',
               '--warmup', '0', '--bank-sizes', '64', '--configs',
               'configs/dfad_digits.py', 'configs/deepinv_digits.py',
               'configs/cmi_digits.py', 'configs/fast_digits.py'],
        bench_timeout=120,
        deepinv=['--device', 'cpu', '--img-size', '32', '--batch', '2',
                 '--repeats', '1', '--warmup', '0'],
        deepinv_timeout=120,
        amp_iters=3, dist_iters=2, train_timeout=120,
        scenes=(2, 1, 1), scene_size=(36, 48), camvid_rounds=2,
        camvid_options=['global_batch_size=2', 'generator.img_size=32',
                        'model.synthesizer.generator.img_size=32',
                        "model.schedule=[('student',1),('generator',1)]"],
        camvid_timeout=180),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='where gpu_check.json, '
                        'gpu_check.md and gpu_check.log are written')
    parser.add_argument('--dry-run', action='store_true',
                        help='CPU, tiny sizes, the same parts')
    parser.add_argument('--budget', type=float,
                        help='seconds for all parts (default: 470 on a '
                        'GPU, 300 for the dry run)')
    return parser.parse_args(argv)


class Runner:
    """Runs the parts' commands as bounded subprocesses within one time
    budget, appending their output to ``gpu_check.log``.

    Args:
        out_dir (str): Output folder (``work/`` inside it holds the work
            dirs, data and the benchmarks' JSON).
        budget_s (float): Seconds for everything.
    """

    def __init__(self, out_dir: str, budget_s: float) -> None:
        self.out_dir = out_dir
        self.work = osp.join(out_dir, 'work')
        os.makedirs(self.work, exist_ok=True)
        self.log = osp.join(out_dir, 'gpu_check.log')
        self.deadline = time.monotonic() + budget_s
        self.env = dict(os.environ, PYTHONUNBUFFERED='1')
        self.env['PYTHONPATH'] = os.pathsep.join(
            [ROOT] + [p for p in self.env.get('PYTHONPATH', '').split(
                os.pathsep) if p])
        for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                    'MASTER_PORT'):
            self.env.pop(key, None)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, name: str, args: List[str], timeout: float,
            env: Optional[Dict[str, str]] = None) -> dict:
        """Run ``args`` in the repository root for at most ``timeout``
        seconds (and never past the budget); its output goes to the log.
        Returns ``rc`` (None when killed at its limit), ``seconds``,
        ``max_rss_mb`` (the process's peak resident set) and ``tail`` (the
        end of its output)."""
        limit = min(timeout, self.left())
        if limit <= 1:
            raise TimeoutError('no time left in the budget')
        start = time.monotonic()
        with open(self.log, 'a') as log:
            log.write(f'\n===== {name}: {" ".join(args)}\n')
            log.flush()
            mark = log.tell()
            proc = subprocess.Popen(
                args, cwd=ROOT, env=dict(self.env, **(env or {})),
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
            rc, usage = None, None
            while time.monotonic() - start < limit:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    rc = os.waitstatus_to_exitcode(status)
                    break
                time.sleep(0.2)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if rc is None:
                os.wait4(proc.pid, 0)
            proc.returncode = -9 if rc is None else rc
        with open(self.log) as log:
            log.seek(mark)
            output = log.read()
        return dict(rc=rc, seconds=time.monotonic() - start,
                    max_rss_mb=(usage.ru_maxrss / 1024 if usage else None),
                    tail=output[-3000:], output=output)


def checked(result: dict, what: str) -> dict:
    """``result`` of :meth:`Runner.run`, or an error naming ``what``."""
    if result['rc'] is None:
        raise TimeoutError(f'{what} ran past its limit '
                           f"({result['seconds']:.0f} s)")
    if result['rc'] != 0:
        raise RuntimeError(f"{what} exited with {result['rc']}")
    return result


def python() -> str:
    return sys.executable


def bench_part(runner: Runner, s: dict, name: str,
               extra: List[str]) -> dict:
    out = osp.join(runner.work, name + '.json')
    args = [python(), 'tools/benchmark.py', *s['bench'], '--channels-last',
            '--syncs', '--out', out, *extra]
    checked(runner.run(name, args, s['bench_timeout']),
                  'tools/benchmark.py')
    with open(out) as f:
        bench = json.load(f)
    return summarise_bench(bench)


def summarise_bench(bench: dict) -> dict:
    """The entries (name, ms, floor ms, ratio, syncs/iter, peak MiB),
    the memory bank costs and each entry against its target."""
    entries = []
    for e in bench['entries']:
        kind = 'student' if e['name'].startswith('student') else \
            'synthesizer'
        entries.append(dict(
            name=e['name'], ms_per_iter=e['ms_per_iter'],
            floor_ms=e['floor_ms'], ratio_to_floor=e['ratio_to_floor'],
            ratio_paired=e['ratio_paired'], target=TARGETS[kind],
            within_target=e['ratio_paired'] <= TARGETS[kind],
            syncs_per_iter=e.get('syncs_per_iter'),
            peak_mem_mb=e['peak_mem_mb'], floor=e['floor']))
    return dict(entries=entries, memory_bank=bench.get('memory_bank'),
                machine=bench['machine'], setting=bench['setting'])


def part_bench_fp32(runner: Runner, s: dict) -> dict:
    return bench_part(runner, s, 'bench_fp32', [])


def part_bench_amp(runner: Runner, s: dict) -> dict:
    return bench_part(runner, s, 'bench_amp', ['--amp'])


def part_deepinv_r50(runner: Runner, s: dict) -> dict:
    """One DeepInversion inner step with mmpretrain's ImageNet ResNet-50
    as teacher (ResNet-18 student), against its floor."""
    out = osp.join(runner.work, 'deepinv_r50.json')
    args = [python(), 'tools/benchmark.py', *s['deepinv'],
            '--configs', 'configs/deepinv_resnet34_resnet18_cifar10.py',
            '--teacher', 'mmpretrain::resnet/resnet50_8xb32_in1k.py',
            '--student', 'mmpretrain::resnet/resnet18_8xb32_in1k.py',
            '--amp', '--channels-last', '--syncs', '--bank-sizes',
            '--out', out]
    checked(runner.run('deepinv_r50', args, s['deepinv_timeout']),
                  'tools/benchmark.py')
    with open(out) as f:
        bench = json.load(f)
    return summarise_bench(bench)


def rounds_log(work_dir: str) -> List[dict]:
    """The training records of ``scalars.json`` (one per logged round)."""
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    if not files:
        raise FileNotFoundError(f'no scalars.json under {work_dir}')
    with open(sorted(files)[-1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r for r in records if 'time' in r and 'iter' in r]


def train_figures(work_dir: str, skip: int = 0) -> dict:
    """Seconds per round (median over the logged rounds after the first
    ``skip``), peak GPU memory (mmengine's ``memory``, MiB; None on a
    CPU), and whether every logged loss is finite."""
    records = rounds_log(work_dir)
    times = [r['time'] for r in records[skip:]] or \
        [r['time'] for r in records]
    losses = [v for r in records for k, v in r.items()
              if 'loss' in k and isinstance(v, (int, float))]
    memory = [r['memory'] for r in records if 'memory' in r]
    return dict(rounds_logged=len(records),
                seconds_per_round=statistics.median(times),
                peak_gpu_mem_mb=max(memory) if memory else None,
                losses_finite=bool(losses) and all(
                    abs(v) < float('inf') and v == v for v in losses))


def digits_options(iters: int) -> List[str]:
    """A random teacher (figures of time, not of accuracy) and a short
    run, logging every round."""
    return ['model.teacher_ckpt=None', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}',
            'default_hooks.logger.interval=1']


def part_amp_multi_optim(runner: Runner, s: dict) -> dict:
    """``tools/train.py --amp`` on DFAD (a generator and a student
    optimiser): fp16 AmpOptimWrapper on a GPU, bf16 on a CPU."""
    work_dir = osp.join(runner.work, 'amp_multi_optim')
    args = [python(), 'tools/train.py', DIGITS, '--amp', '--work-dir',
            work_dir, '--cfg-options', *digits_options(s['amp_iters'])]
    res = checked(runner.run('amp_multi_optim', args, s['train_timeout']),
                  'tools/train.py --amp')
    wrapper = ('AmpOptimWrapper' if 'use AmpOptimWrapper' in res['output']
               else 'AutocastOptimWrapper'
               if 'use mmdfkd.AutocastOptimWrapper' in res['output']
               else None)
    if wrapper is None:
        raise RuntimeError('--amp did not switch the optimiser wrappers')
    figures = train_figures(work_dir, skip=min(5, s['amp_iters'] - 1))
    if not figures['losses_finite']:
        raise RuntimeError('non-finite or missing losses in the log')
    return dict(iterations=s['amp_iters'],
                wrapper=wrapper, **figures)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def part_dist_train(runner: Runner, s: dict) -> dict:
    """``tools/dist_train.sh`` with one process: torchrun, the pytorch
    launcher, nccl on a GPU (gloo on a CPU)."""
    work_dir = osp.join(runner.work, 'dist_train')
    args = ['bash', 'tools/dist_train.sh', DIGITS, '1', '--work-dir',
            work_dir, '--cfg-options', *digits_options(s['dist_iters'])]
    res = checked(runner.run(
        'dist_train', args, s['train_timeout'],
        env=dict(PYTHON=python(), PORT=str(free_port()))),
        'tools/dist_train.sh')
    if 'Distributed training: True' not in res['output']:
        raise RuntimeError('the run was not distributed')
    backend = 'gloo' if 'using the gloo backend' in res['output'] else \
        'nccl'
    if not osp.isfile(osp.join(work_dir, f"iter_{s['dist_iters']}.pth")):
        raise RuntimeError('no final checkpoint')
    return dict(backend=backend,
                iterations=s['dist_iters'],
                **train_figures(work_dir, skip=min(5, s['dist_iters'] - 1)))


def part_camvid(runner: Runner, s: dict) -> dict:
    """The CamVid DDAD config at its published size (DeepLabV3-R50-D8
    teacher, randomly initialised: time, not accuracy) on generated
    street scenes in CamVid's layout; validation once, at the end."""
    from mmengine.config import Config

    from mmdfkd.datasets.street_scenes import write_street_scenes
    root = osp.join(runner.work, 'street_scenes')
    start = time.monotonic()
    write_street_scenes(root, *s['scenes'], size=s['scene_size'], seed=0)
    write_s = time.monotonic() - start
    rounds = s['camvid_rounds']
    work_dir = osp.join(runner.work, 'camvid')
    options = [
        'model.teacher_ckpt=None', f'train_cfg.max_iters={rounds}',
        f'train_cfg.val_interval={rounds}',
        'default_hooks.logger.interval=1',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.persistent_workers=False', *s['camvid_options']]
    args = [python(), 'tools/train.py', CAMVID, '--work-dir', work_dir,
            '--cfg-options', *options]
    res = checked(runner.run('camvid', args, s['camvid_timeout']),
                  'tools/train.py ' + CAMVID)
    if 'mIoU' not in res['output']:
        raise RuntimeError('no validation (mIoU) in the log')
    figures = train_figures(work_dir, skip=min(5, rounds - 1))
    published = Config.fromfile(osp.join(ROOT, CAMVID))
    max_iters = published.train_cfg.max_iters
    return dict(
        rounds=rounds, scenes=list(s['scenes']),
        scene_size=list(s['scene_size']), write_scenes_s=write_s,
        batch=published.global_batch_size,
        generator_size=published.generator.img_size,
        peak_rss_mb=res['max_rss_mb'], published_rounds=max_iters,
        projected_hours=max_iters * figures['seconds_per_round'] / 3600,
        **figures)


PARTS: Dict[str, Callable[[Runner, dict], dict]] = {
    'bench_fp32': part_bench_fp32,
    'bench_amp': part_bench_amp,
    'deepinv_r50': part_deepinv_r50,
    'amp_multi_optim': part_amp_multi_optim,
    'dist_train': part_dist_train,
    'camvid': part_camvid,
}


def machine() -> dict:
    import torch
    info = dict(python=sys.version.split()[0], torch=torch.__version__,
                cuda=torch.version.cuda, cpus=os.cpu_count(),
                gpu=(torch.cuda.get_device_name(0)
                     if torch.cuda.is_available() else None))
    for name in ('mmengine', 'mmcv', 'mmpretrain', 'mmseg', 'kornia',
                 'mmdfkd'):
        try:
            info[name] = __import__(name).__version__
        except Exception as e:  # recorded, the parts will fail clearly
            info[name] = f'import failed: {e}'
    try:
        info['load'] = os.getloadavg()
    except OSError:
        pass
    return info


def run_parts(runner: Runner, setting: dict) -> List[dict]:
    parts = []
    for name, part in PARTS.items():
        start = time.monotonic()
        if runner.left() <= 1:
            parts.append(dict(name=name, status='skipped',
                              error='the time budget was spent'))
            continue
        try:
            figures = part(runner, setting)
            status, error = 'ok', None
        except TimeoutError as e:
            figures, status, error = {}, 'timeout', str(e)
        except Exception as e:  # recorded; the next part still runs
            figures, status, error = {}, 'failed', f'{type(e).__name__}: {e}'
        entry = dict(name=name, status=status,
                     seconds=time.monotonic() - start, **figures)
        if error:
            entry['error'] = error
            entry['log_tail'] = log_tail(runner.log)
        parts.append(entry)
        print(f'[gpu_check] {name}: {status} '
              f"({entry['seconds']:.0f} s){': ' + error if error else ''}",
              flush=True)
    return parts


def log_tail(path: str, chars: int = 3000) -> str:
    with open(path) as f:
        return f.read()[-chars:]


def fmt(value, spec: str = '.2f') -> str:
    return 'n/a' if value is None else format(value, spec)


def bench_table(part: dict) -> List[str]:
    lines = ['| step | ms/iter | floor ms | ratio | paired ratio | '
             'target | syncs/iter | peak MiB |',
             '|---|---:|---:|---:|---:|---:|---:|---:|']
    for e in part['entries']:
        lines.append(
            f"| {e['name']} | {e['ms_per_iter']:.2f} | "
            f"{e['floor_ms']:.2f} | {e['ratio_to_floor']:.2f} | "
            f"{e['ratio_paired']:.2f} | ≤ {e['target']} "
            f"{'yes' if e['within_target'] else 'NO'} | "
            f"{fmt(e['syncs_per_iter'], 'g')} | "
            f"{fmt(e['peak_mem_mb'], '.0f')} |")
    return lines


def summary_line(part: dict) -> str:
    name = part['name']
    if part['status'] != 'ok':
        return part.get('error', '')
    if 'entries' in part:
        worst = max(part['entries'], key=lambda e: e['ratio_paired'])
        syncs = [e['syncs_per_iter'] for e in part['entries']
                 if e['syncs_per_iter'] is not None]
        return (f"highest paired ratio {worst['ratio_paired']:.2f} "
                f"({worst['name']}); syncs/iter max {fmt(max(syncs), 'g')}"
                if syncs else '')
    if name == 'camvid':
        return (f"{part['seconds_per_round']:.3f} s/round, peak GPU "
                f"{fmt(part['peak_gpu_mem_mb'], '.0f')} MiB, peak RSS "
                f"{fmt(part['peak_rss_mb'], '.0f')} MiB, "
                f"{part['published_rounds']} rounds ≈ "
                f"{part['projected_hours']:.2f} h")
    extra = part.get('wrapper') or part.get('backend')
    return (f"{part['iterations']} rounds, {extra}, "
            f"{part['seconds_per_round']:.3f} s/round, peak GPU "
            f"{fmt(part['peak_gpu_mem_mb'], '.0f')} MiB")


def markdown(report: dict) -> str:
    m = report['machine']
    lines = [f"# GPU check ({report['mode']})", '',
             f"Machine: {m.get('gpu') or 'CPU only'}, {m['cpus']} CPUs, "
             f"torch {m['torch']} (CUDA {m['cuda']}), Python "
             f"{m['python']}; mmengine {m['mmengine']}, mmcv {m['mmcv']}, "
             f"mmpretrain {m['mmpretrain']}, mmseg {m['mmseg']}, kornia "
             f"{m['kornia']}. Took {report['elapsed_s']:.0f} s of a "
             f"{report['budget_s']:.0f} s budget.", '',
             '| part | status | seconds | figures |', '|---|---|---:|---|']
    for p in report['parts']:
        lines.append(f"| {p['name']} | {p['status']} | "
                     f"{fmt(p.get('seconds'), '.0f')} | "
                     f"{summary_line(p)} |")
    for p in report['parts']:
        if p['status'] == 'ok' and 'entries' in p:
            lines += ['', f"## {p['name']}", '',
                      f"`{p['setting']['command']}`", '', *bench_table(p)]
    return '\n'.join(lines) + '\n'


def main(argv=None) -> dict:
    args = parse_args(argv)
    mode = 'dry' if args.dry_run else 'gpu'
    setting = SETTINGS[mode]
    budget = args.budget or setting['budget_s']
    os.makedirs(args.out_dir, exist_ok=True)
    runner = Runner(args.out_dir, budget)
    start = time.monotonic()
    info = machine()
    if mode == 'gpu' and not info['gpu']:
        raise SystemExit('gpu_check: no CUDA device; use --dry-run on a '
                         'CPU')
    parts = run_parts(runner, setting)
    report = dict(mode='dry run (CPU, tiny sizes)' if mode == 'dry'
                  else 'GPU', machine=info, budget_s=budget,
                  elapsed_s=time.monotonic() - start, parts=parts)
    with open(osp.join(args.out_dir, 'gpu_check.json'), 'w') as f:
        json.dump(report, f, indent=2)
    text = markdown(report)
    with open(osp.join(args.out_dir, 'gpu_check.md'), 'w') as f:
        f.write(text)
    # the work dirs (checkpoints, scenes) stay out of what comes back
    shutil.rmtree(runner.work, ignore_errors=True)
    print(text)
    return report


if __name__ == '__main__':
    main()
