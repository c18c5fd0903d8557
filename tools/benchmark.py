"""Time every synthesizer and the student step against their floors.

For each method config (the synthesizer it builds, with ``teacher_ckpt``
dropped) the real step of the distiller is timed per iteration together
with its floor: the forward and backward passes the method's math needs,
as bare PyTorch calls (``mmdfkd.benchmark.floors``). Method and floor runs
alternate inside every repeat and the medians are compared. Also timed:
the student step against a bare KD step, and the CMI memory bank's
per-step cost for several bank sizes.

With ``--pool-scale`` it measures a disk-backed pool instead
(``mmdfkd.benchmark.pool_scale``): resident memory, checkpoint size and
student-batch read throughput for pools of ``--pool-sizes`` random images,
against a ResNet-18 student step's consumption.

Example (the tables of docs/benchmarks.md)::

    python tools/benchmark.py --threads 2 --out bench.json
    python tools/benchmark.py --quick
    python tools/benchmark.py --pool-scale --out pool_scale.json
"""
import tempfile
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CIFAR = [
    'configs/dfad_resnet34_resnet18_cifar10.py',
    'configs/deepinv_resnet34_resnet18_cifar10.py',
    'configs/cmi_resnet34_resnet18_cifar10.py',
    'configs/fast_resnet34_resnet18_cifar10.py',
]


def report(result: dict, table: str, out: Optional[str]) -> dict:
    """Print ``table`` and the run's load and time; write ``result`` as
    JSON to ``out`` when given."""
    print(table)
    print(f"load before: {result['load']['before']}")
    print(f"load after:  {result['load']['after']}")
    print(f"took {result['elapsed_s']:.0f} s")
    if out:
        with open(out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'wrote {out}')
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=CIFAR,
                        help='method configs, one per synthesizer (default:'
                        ' the CIFAR-10 ResNet-34 → ResNet-18 recipes)')
    parser.add_argument('--teacher', help='teacher config path (default: '
                        "the method config's)")
    parser.add_argument('--student', help='student config path')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--img-size', type=int,
                        help="image size (default: the configs')")
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--repeats', type=int, default=7,
                        help='timed runs of each step (medians are used)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=1,
                        help='iterations per timed run')
    parser.add_argument('--bank-sizes', type=int, nargs='*',
                        default=[4096, 40960, 409600],
                        help='memory bank sizes to time (none: skip)')
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                        help='wall time, or the process CPU time (steadier '
                        'on a machine shared with other jobs)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (bf16 autocast on CPU, '
                        'fp16 AmpOptimWrapper on CUDA)')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--syncs', action='store_true',
                        help='also count host-device synchronisations per '
                        'iteration (CUDA sync debug mode on a GPU, host '
                        'reads of tensor values on a CPU)')
    parser.add_argument('--quick', action='store_true',
                        help='reduced setting: batch 8, 3 repeats')
    parser.add_argument('--out', help='write the results as JSON here')
    pool = parser.add_argument_group(
        'pool scale', 'a disk-backed pool (--pool-scale; the method table '
        'is not run then)')
    pool.add_argument('--pool-scale', action='store_true')
    pool.add_argument('--pool-sizes', type=int, nargs='+',
                      default=[1000, 10000, 100000],
                      help='pool sizes in images (100k at 224²: 15 GB of '
                      'shards, removed after each size)')
    pool.add_argument('--pool-root', help='folder for the shards (default: '
                      'a new folder in the system temp dir)')
    pool.add_argument('--pool-image-size', type=int, default=224)
    pool.add_argument('--pool-shard-size', type=int, default=128)
    pool.add_argument('--pool-cache-images', type=int, default=1024)
    pool.add_argument('--pool-read-batch', type=int, default=256)
    pool.add_argument('--pool-read-batches', type=int, default=20)
    pool.add_argument('--student-batch', type=int, default=16,
                      help='batch of the timed ResNet-18 student step')
    pool.add_argument('--keep-pool', action='store_true',
                      help='keep the shards (default: removed)')
    args = parser.parse_args(argv)
    if args.quick:
        args.batch, args.repeats = min(args.batch, 8), 3
    return args


def machine(device) -> dict:
    import torch
    info = dict(platform=platform.platform(), python=platform.python_version(),
                torch=torch.__version__, cpus=os.cpu_count(),
                threads=torch.get_num_threads(), device=str(device))
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    info['cpu'] = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    if device.type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


def load() -> str:
    try:
        return subprocess.run(['uptime'], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.pool_scale:
        return main_pool_scale(args, argv)
    start = time.perf_counter()
    import torch

    import mmdfkd  # noqa: F401  (registers the modules)
    from mmdfkd.benchmark import run_benchmark, format_table
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    load_before = load()
    result = run_benchmark(
        configs=[os.path.join(ROOT, c) if not os.path.isabs(c) else c
                 for c in args.configs],
        teacher=args.teacher, student=args.student, batch_size=args.batch,
        img_size=args.img_size, repeats=args.repeats, warmup=args.warmup,
        iters=args.iters, bank_sizes=args.bank_sizes, device=device,
        amp=args.amp, channels_last=args.channels_last, clock=args.clock,
        syncs=args.syncs, progress=lambda line: print(
            f'[{time.perf_counter() - start:6.0f} s] {line}', flush=True))
    result['setting'] = dict(
        configs=args.configs, teacher=args.teacher, student=args.student,
        batch=args.batch, img_size=args.img_size, threads=args.threads,
        repeats=args.repeats, warmup=args.warmup, iters=args.iters,
        amp=args.amp, channels_last=args.channels_last, quick=args.quick,
        clock=args.clock, syncs=args.syncs,
        command='python tools/benchmark.py ' + ' '.join(
            sys.argv[1:] if argv is None else argv))
    result['machine'] = machine(device)
    result['load'] = dict(before=load_before, after=load())
    result['elapsed_s'] = time.perf_counter() - start
    return report(result, format_table(result), args.out)


def main_pool_scale(args, argv) -> dict:
    start = time.perf_counter()
    import torch

    from mmdfkd.benchmark.pool_scale import (format_pool_table, pool_scale,
                                             student_step_rate)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = load()
    root = args.pool_root or tempfile.mkdtemp(prefix='mmdfkd_pool_scale_')
    os.makedirs(root, exist_ok=True)
    rows = pool_scale(
        args.pool_sizes, root, keep=args.keep_pool,
        image_size=args.pool_image_size, shard_size=args.pool_shard_size,
        cache_images=args.pool_cache_images,
        read_batch=args.pool_read_batch,
        read_batches=args.pool_read_batches,
        progress=lambda line: print(
            f'[{time.perf_counter() - start:6.0f} s] {line}', flush=True))
    if not args.keep_pool and not args.pool_root:
        os.rmdir(root)
    student = student_step_rate(args.pool_image_size, args.student_batch)
    result = dict(
        pool_scale=rows, student_step=student,
        setting=dict(
            sizes=args.pool_sizes, image_size=args.pool_image_size,
            shard_size=args.pool_shard_size,
            cache_images=args.pool_cache_images,
            read_batch=args.pool_read_batch,
            read_batches=args.pool_read_batches, root=root,
            threads=args.threads,
            command='python tools/benchmark.py ' + ' '.join(
                sys.argv[1:] if argv is None else argv)),
        machine=machine(torch.device('cpu')),
        load=dict(before=load_before, after=load()),
        elapsed_s=time.perf_counter() - start)
    return report(result, format_pool_table(rows, student), args.out)


if __name__ == '__main__':
    main()
