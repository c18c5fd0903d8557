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
import json
import os
import os.path as osp
import shutil
import socket
import sys
import time
from importlib import metadata
from typing import Callable, Dict, List

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmdfkd.benchmark.bounded import PartRunner, checked, log_tail  # noqa
from mmdfkd.benchmark.gpu_report import (markdown, summarise_bench,  # noqa
                                         train_figures)

CAMVID = 'configs/ddad_deeplabv3_camvid.py'
DIGITS = 'configs/dfad_digits.py'
PY = sys.executable
#: The GPU setting and its CPU dry-run counterpart, per part.
SETTINGS = {
    'gpu': dict(
        budget_s=470,
        bench=['--device', 'cuda', '--batch', '256', '--repeats', '7',
               '--warmup', '2'],
        bench_timeout=100,
        deepinv=['--device', 'cuda', '--img-size', '224', '--batch', '64',
                 '--repeats', '5', '--warmup', '2', '--teacher',
                 'mmpretrain::resnet/resnet50_8xb32_in1k.py'],
        deepinv_timeout=80,
        amp_iters=50, dist_iters=20, train_timeout=60,
        scenes=(8, 4, 1), scene_size=(360, 480), camvid_rounds=20,
        camvid_options=[], camvid_timeout=150),
    # generous limits: the CPU machines that run the test are shared
    'dry': dict(
        budget_s=900,
        bench=['--device', 'cpu', '--batch', '2', '--repeats', '1',
               '--warmup', '0', '--bank-sizes', '64', '--configs',
               'configs/dfad_digits.py', 'configs/deepinv_digits.py',
               'configs/cmi_digits.py', 'configs/fast_digits.py'],
        bench_timeout=300,
        # an ImageNet ResNet-18 teacher: the same path, less CPU time
        deepinv=['--device', 'cpu', '--img-size', '32', '--batch', '2',
                 '--repeats', '1', '--warmup', '0', '--teacher',
                 'mmpretrain::resnet/resnet18_8xb32_in1k.py'],
        deepinv_timeout=300,
        amp_iters=3, dist_iters=2, train_timeout=300,
        scenes=(2, 1, 1), scene_size=(36, 48), camvid_rounds=2,
        camvid_options=['train_dataloader.batch_size=2',
                        'generator.img_size=32',
                        'model.synthesizer.generator.img_size=32',
                        "model.schedule=[('student',1),('generator',1)]"],
        camvid_timeout=300),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='where gpu_check.json, '
                        'gpu_check.md and gpu_check.log are written')
    parser.add_argument('--dry-run', action='store_true',
                        help='CPU, tiny sizes, the same parts')
    parser.add_argument('--budget', type=float,
                        help='seconds for all parts (default: 470 on a '
                        'GPU, 900 for the dry run)')
    return parser.parse_args(argv)


def bench_part(runner: PartRunner, name: str, options: List[str],
               timeout: float) -> dict:
    """``tools/benchmark.py`` with ``options``, channels-last and sync
    counts; its JSON, summarised."""
    out = osp.join(runner.work, name + '.json')
    args = [PY, 'tools/benchmark.py', *options, '--channels-last',
            '--syncs', '--out', out]
    checked(runner.run(name, args, timeout), 'tools/benchmark.py')
    with open(out) as f:
        return summarise_bench(json.load(f))


def part_bench_fp32(runner: PartRunner, s: dict) -> dict:
    return bench_part(runner, 'bench_fp32', s['bench'], s['bench_timeout'])


def part_bench_amp(runner: PartRunner, s: dict) -> dict:
    return bench_part(runner, 'bench_amp', [*s['bench'], '--amp'],
                      s['bench_timeout'])


def part_deepinv_r50(runner: PartRunner, s: dict) -> dict:
    """One DeepInversion inner step with an mmpretrain ImageNet teacher
    (ResNet-50 on a GPU; the setting's ``--teacher``) and ResNet-18
    student, against its floor."""
    return bench_part(runner, 'deepinv_r50', [
        *s['deepinv'], '--configs',
        'configs/deepinv_resnet34_resnet18_cifar10.py', '--student',
        'mmpretrain::resnet/resnet18_8xb32_in1k.py', '--amp',
        '--bank-sizes'], s['deepinv_timeout'])


def digits_options(iters: int) -> List[str]:
    """A random teacher (figures of time, not of accuracy) and a short
    run, logging every round."""
    return ['model.teacher_ckpt=None', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}',
            'default_hooks.logger.interval=1']


def part_amp_multi_optim(runner: PartRunner, s: dict) -> dict:
    """``tools/train.py --amp`` on DFAD (a generator and a student
    optimiser): fp16 AmpOptimWrapper on a GPU, bf16 on a CPU."""
    work_dir = osp.join(runner.work, 'amp_multi_optim')
    args = [PY, 'tools/train.py', DIGITS, '--amp', '--work-dir',
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
    return dict(iterations=s['amp_iters'], wrapper=wrapper, **figures)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def part_dist_train(runner: PartRunner, s: dict) -> dict:
    """``tools/dist_train.sh`` with one process: torchrun, the pytorch
    launcher, nccl on a GPU (gloo on a CPU)."""
    work_dir = osp.join(runner.work, 'dist_train')
    args = ['bash', 'tools/dist_train.sh', DIGITS, '1', '--work-dir',
            work_dir, '--cfg-options', *digits_options(s['dist_iters'])]
    res = checked(runner.run(
        'dist_train', args, s['train_timeout'],
        env=dict(PYTHON=PY, PORT=str(free_port()))),
        'tools/dist_train.sh')
    if 'Distributed training: True' not in res['output']:
        raise RuntimeError('the run was not distributed')
    # mmengine logs the runtime's dist_cfg; mmdfkd's compat layer says
    # when a CPU-only torch falls back to gloo
    backend = ('gloo' if 'using the gloo backend' in res['output']
               else 'nccl' if "'backend': 'nccl'" in res['output']
               else 'unknown')
    if not osp.isfile(osp.join(work_dir, f"iter_{s['dist_iters']}.pth")):
        raise RuntimeError('no final checkpoint')
    return dict(backend=backend, iterations=s['dist_iters'],
                **train_figures(work_dir, skip=min(5, s['dist_iters'] - 1)))


def part_camvid(runner: PartRunner, s: dict) -> dict:
    """The CamVid DDAD config at its published size (DeepLabV3-R50-D8
    teacher, randomly initialised: time, not accuracy) on generated
    street scenes in CamVid's layout; the student validated at the end."""
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
    args = [PY, 'tools/train.py', CAMVID, '--work-dir', work_dir,
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
        batch=published.train_dataloader.batch_size,
        generator_size=published.generator.img_size,
        peak_rss_mb=res['max_rss_mb'], published_rounds=max_iters,
        projected_hours=max_iters * figures['seconds_per_round'] / 3600,
        **figures)


PARTS: Dict[str, Callable[[PartRunner, dict], dict]] = {
    'bench_fp32': part_bench_fp32,
    'bench_amp': part_bench_amp,
    'deepinv_r50': part_deepinv_r50,
    'amp_multi_optim': part_amp_multi_optim,
    'dist_train': part_dist_train,
    'camvid': part_camvid,
}


#: Distributions per package (a full mmcv counts as well as mmcv-lite).
DISTRIBUTIONS = dict(mmengine=['mmengine'], mmcv=['mmcv', 'mmcv-lite'],
                     mmpretrain=['mmpretrain'], mmseg=['mmsegmentation'],
                     kornia=['kornia'])


def installed_version(dists: List[str]) -> str:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return 'missing'


def machine() -> dict:
    """Python, torch, CUDA, the GPU and the installed OpenMMLab versions
    (from their metadata: importing them all would cost seconds)."""
    import torch
    info = dict(python=sys.version.split()[0], torch=torch.__version__,
                cuda=torch.version.cuda, cpus=os.cpu_count(),
                gpu=(torch.cuda.get_device_name(0)
                     if torch.cuda.is_available() else None))
    for name, dists in DISTRIBUTIONS.items():
        info[name] = installed_version(dists)
    try:
        info['load'] = os.getloadavg()
    except OSError:
        pass
    return info


def run_parts(runner: PartRunner, setting: dict) -> List[dict]:
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


def main(argv=None) -> dict:
    args = parse_args(argv)
    mode = 'dry' if args.dry_run else 'gpu'
    setting = SETTINGS[mode]
    budget = args.budget or setting['budget_s']
    os.makedirs(args.out_dir, exist_ok=True)
    runner = PartRunner(ROOT, args.out_dir, budget)
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
