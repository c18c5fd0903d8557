"""How a disk-backed pool scales: resident memory, checkpoint size and
student-batch read throughput for pools of growing size, against the
images/s a ResNet-18 student step consumes (``tools/benchmark.py
--pool-scale``, ``docs/benchmarks.md``).

Each pool size is measured in a fresh process (``python -m
mmdfkd.benchmark.pool_scale``): its resident memory is then its own, not
what an earlier, smaller pool left allocated.
"""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Callable, List, Optional, Sequence

import torch
from torch import nn

__all__ = ['measure_pool', 'pool_scale', 'student_step_rate']


def _status_mb(key: str) -> Optional[float]:
    """A ``/proc/self/status`` memory entry (``VmRSS``, ``VmHWM``), MB."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def measure_pool(images: int, root: str, image_size: int = 224,
                 shard_size: int = 128, cache_images: int = 1024,
                 add_batch: int = 256, read_batch: int = 256,
                 read_batches: int = 20, seed: int = 0) -> dict:
    """Fill a :class:`~mmdfkd.models.synthesizers.DiskPool` under ``root``
    with ``images`` random 3×``image_size``² images (batches of
    ``add_batch``), restore it from its checkpoint state (every shard's
    sha256 checked), then draw ``read_batches`` student batches.

    Returns:
        dict: ``images``, ``rss_mb`` (resident memory after the reads),
        ``peak_rss_mb``, ``checkpoint_mb`` (``torch.save`` of the pool's
        state_dict: what it adds to a checkpoint), ``read_images_per_s``,
        ``write_images_per_s``, ``verify_s`` (the restore's check),
        ``shards``, ``disk_mb`` and ``memory_pool_mb`` (the float32 images
        an in-memory pool would hold, and checkpoint: computed).
    """
    from mmdfkd.models.synthesizers import DiskPool
    gen = torch.Generator().manual_seed(seed)
    shape = (3, image_size, image_size)
    pool = DiskPool(root, shard_size=shard_size, cache_images=cache_images)
    start = time.perf_counter()
    for first in range(0, images, add_batch):
        n = min(add_batch, images - first)
        batch = torch.randint(0, 256, (n, ) + shape, generator=gen,
                              dtype=torch.uint8).float()
        pool.add(batch, torch.randint(0, 1000, (n, ), generator=gen))
        del batch
    write_s = time.perf_counter() - start
    buf = io.BytesIO()
    torch.save(pool.state_dict(), buf)
    checkpoint_mb = len(buf.getvalue()) / 2**20

    restored = DiskPool(root, shard_size=shard_size,
                        cache_images=cache_images)
    start = time.perf_counter()
    restored.load_state_dict(pool.state_dict())
    verify_s = time.perf_counter() - start
    del pool
    for _ in range(2):  # fill the window
        restored.sample(read_batch, generator=gen)
    start = time.perf_counter()
    for _ in range(read_batches):
        restored.sample(read_batch, generator=gen)
    read_s = time.perf_counter() - start
    disk = sum(
        os.path.getsize(os.path.join(root, s['file']))
        for s in restored.shards)
    return dict(
        images=images,
        rss_mb=_status_mb('VmRSS'),
        peak_rss_mb=_status_mb('VmHWM'),
        checkpoint_mb=checkpoint_mb,
        read_images_per_s=read_batch * read_batches / read_s,
        write_images_per_s=images / write_s,
        verify_s=verify_s,
        shards=len(restored.shards),
        disk_mb=disk / 2**20,
        memory_pool_mb=images * 4 * 3 * image_size**2 / 2**20)


def student_step_rate(image_size: int = 224, batch: int = 16,
                      repeats: int = 3, num_classes: int = 1000) -> dict:
    """Images/s of a ResNet-18 student step at ``image_size`` on the CPU:
    forward, KL divergence to fixed teacher logits, backward and an SGD
    update (the teacher's forward is left out: a faster consumer than the
    real step, so a stricter bar for the reader).

    Returns:
        dict: ``images_per_s`` (median of ``repeats`` timed steps after one
        warm-up), ``batch``, ``image_size``, ``ms_per_step``.
    """
    from mmpretrain.models import ResNet
    backbone, head = ResNet(depth=18), nn.Linear(512, num_classes)
    params = list(backbone.parameters()) + list(head.parameters())

    def model(x):
        return head(backbone(x)[-1].mean((2, 3)))

    optim = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    x = torch.randn(batch, 3, image_size, image_size)
    target = torch.randn(batch, num_classes).softmax(1)
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        out = model(x)
        loss = nn.functional.kl_div(out.log_softmax(1), target,
                                    reduction='batchmean')
        optim.zero_grad()
        loss.backward()
        optim.step()
        if i:
            times.append(time.perf_counter() - start)
    ms = sorted(times)[len(times) // 2] * 1000
    return dict(images_per_s=batch / ms * 1000, batch=batch,
                image_size=image_size, ms_per_step=ms)


def pool_scale(sizes: Sequence[int], root: str, keep: bool = False,
               timeout: int = 3600,
               progress: Callable[[str], None] = print, **kwargs) -> list:
    """:func:`measure_pool` for every size, each in a fresh process, in a
    fresh folder under ``root`` that is removed afterwards unless
    ``keep``; ``kwargs`` go to :func:`measure_pool`."""
    rows: List[dict] = []
    for size in sizes:
        folder = os.path.join(root, f'pool_{size}')
        if os.path.exists(folder):
            raise FileExistsError(
                f'{folder} exists: remove it or pick another --pool-root')
        args = [sys.executable, '-m', 'mmdfkd.benchmark.pool_scale',
                '--images', str(size), '--root', folder,
                '--threads', str(torch.get_num_threads())]
        for key, value in kwargs.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        package_root = os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [package_root, os.environ.get('PYTHONPATH')])))
        try:
            proc = subprocess.run(args, capture_output=True, text=True,
                                  timeout=timeout, env=env)
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        if proc.returncode:
            raise RuntimeError(f'pool of {size} images failed:\n'
                               f'{proc.stderr[-3000:]}')
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        progress(f"pool {size}: rss {row['rss_mb']:.0f} MB, checkpoint "
                 f"{row['checkpoint_mb']:.3f} MB, read "
                 f"{row['read_images_per_s']:.0f} images/s")
    return rows


def format_pool_table(rows: Sequence[dict], student: dict) -> str:
    lines = [
        '| images | RSS MB (peak) | checkpoint MB | read images/s | '
        'write images/s | restore check s | disk MB | in-memory float32 '
        'MB (computed) |', '|' + '---|' * 8
    ]
    for r in rows:
        lines.append(
            f"| {r['images']} | {r['rss_mb']:.0f} ({r['peak_rss_mb']:.0f}) "
            f"| {r['checkpoint_mb']:.3f} | {r['read_images_per_s']:.0f} | "
            f"{r['write_images_per_s']:.0f} | {r['verify_s']:.1f} | "
            f"{r['disk_mb']:.0f} | {r['memory_pool_mb']:.0f} |")
    lines.append(
        f"\nResNet-18 student step at {student['image_size']}² (batch "
        f"{student['batch']}): {student['images_per_s']:.1f} images/s "
        f"({student['ms_per_step']:.0f} ms a step)")
    return '\n'.join(lines)


def _main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='one pool size')
    parser.add_argument('--images', type=int, required=True)
    parser.add_argument('--root', required=True)
    parser.add_argument('--threads', type=int, default=1)
    for name in ('image-size', 'shard-size', 'cache-images', 'add-batch',
                 'read-batch', 'read-batches', 'seed'):
        parser.add_argument(f'--{name}', type=int)
    args = vars(parser.parse_args(argv))
    torch.set_num_threads(args.pop('threads'))
    kwargs = {k: v for k, v in args.items() if v is not None}
    print(json.dumps(measure_pool(**kwargs)))


if __name__ == '__main__':
    _main()
