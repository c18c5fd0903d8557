"""Tiny networks and helpers shared by the loss-term tests.

Everything is small enough to run in milliseconds on a CPU: a linear
generator to 3×6×6 images, and conv nets with BatchNorm as teacher and
student (a classifier and a per-pixel "segmenter").
"""
import datetime
import math
import os
import time
from typing import Dict, List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from mmdfkd.models.algorithms.recorders import (BNMomentsRecorder,
                                                FeatureRecorder)
from mmdfkd.models.algorithms.task_adapter import (logits_to_rows,
                                                   rows_per_sample)
from mmdfkd.models.losses import (BNStatisticsLoss, ClassBalanceLoss,
                                  DistillContext, InterSampleDiversityLoss)
from tests.process import free_port

NZ = 8
IMG_SHAPE = (3, 6, 6)
NUM_CLASSES = 5


class TinyGenerator(nn.Module):
    """z (N×NZ) → Linear → N×3×6×6 images."""

    def __init__(self, nz: int = NZ, img_shape=IMG_SHAPE) -> None:
        super().__init__()
        self.img_shape = tuple(img_shape)
        self.fc = nn.Linear(nz, math.prod(self.img_shape))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc(z).view(z.shape[0], *self.img_shape)


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout), nn.ReLU())


class TinyClassifier(nn.Module):
    """layer1 (H×W) → layer2 (stride ``stride2``) → avg pool → head."""

    def __init__(self,
                 widths: Sequence[int] = (4, 6),
                 num_classes: int = NUM_CLASSES,
                 stride2: int = 2) -> None:
        super().__init__()
        self.layer1 = _block(IMG_SHAPE[0], widths[0], 1)
        self.layer2 = _block(widths[0], widths[1], stride2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(widths[1], num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate features (the head's input)."""
        return self.pool(self.layer2(self.layer1(x))).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class TinySegmenter(nn.Module):
    """Per-pixel logits at half the input resolution (N×K×H/2×W/2)."""

    def __init__(self,
                 widths: Sequence[int] = (4, 6),
                 num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.layer1 = _block(IMG_SHAPE[0], widths[0], 1)
        self.layer2 = _block(widths[0], widths[1], 2)
        self.head = nn.Conv2d(widths[1], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layer2(self.layer1(x)))


def randomise_bn(net: nn.Module) -> nn.Module:
    """Give every BatchNorm non-trivial running statistics and affine
    parameters (drawn from the global RNG)."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net


def make_teacher(cls=TinyClassifier, seed: int = 0, **kwargs) -> nn.Module:
    """A frozen teacher: eval mode, parameters not requiring grad."""
    torch.manual_seed(seed)
    net = randomise_bn(cls(**kwargs))
    net.eval()
    net.requires_grad_(False)
    return net


def make_student(cls=TinyClassifier, seed: int = 1, **kwargs) -> nn.Module:
    torch.manual_seed(seed)
    net = randomise_bn(cls(**kwargs))
    net.train()
    return net


def make_generator(seed: int = 2) -> TinyGenerator:
    torch.manual_seed(seed)
    return TinyGenerator()


def latents(n: int = 4, seed: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, NZ, generator=g)


def run_teacher(teacher: nn.Module,
                images: torch.Tensor,
                records: Sequence[str] = (),
                bn: bool = True):
    """Teacher logits, recorded features and BN moments of one forward."""
    bn_rec = BNMomentsRecorder(teacher) if bn else None
    feat_rec = FeatureRecorder(teacher, records)
    if bn_rec is not None:
        bn_rec.start()
    feat_rec.start()
    out = teacher(images)
    feats = feat_rec.stop()
    moments = bn_rec.stop() if bn_rec is not None else []
    return out, feats, moments


def run_student(student: nn.Module,
                images: torch.Tensor,
                records: Sequence[str] = ()):
    rec = FeatureRecorder(student, records)
    rec.start()
    out = student(images)
    return out, rec.stop()


def build_context(images: torch.Tensor,
                  teacher: nn.Module,
                  student: Optional[nn.Module] = None,
                  student_images: Optional[torch.Tensor] = None,
                  teacher_records: Sequence[str] = (),
                  student_records: Sequence[str] = (),
                  labels: Optional[torch.Tensor] = None,
                  size=None) -> DistillContext:
    """Run the nets on ``images`` (the student on ``student_images`` when
    given, e.g. ``images.detach()``) and wrap the outputs in a context."""
    t_out, t_feats, moments = run_teacher(teacher, images, teacher_records)
    ctx = DistillContext(
        images=images,
        teacher_logits=logits_to_rows(t_out, size),
        labels=labels,
        rows_per_sample=rows_per_sample(t_out, size),
        teacher_feats=t_feats,
        bn_moments=moments)
    if student is not None:
        s_in = images if student_images is None else student_images
        s_out, s_feats = run_student(student, s_in, student_records)
        ctx.student_logits = logits_to_rows(s_out, size)
        ctx.student_feats = s_feats
    return ctx


def assert_nonzero_finite_grads(module: nn.Module) -> None:
    params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    assert params, 'module has no trainable parameters'
    for name, p in params:
        assert p.grad is not None, f'{name} got no gradient'
        assert torch.isfinite(p.grad).all(), f'{name}: non-finite gradient'
    total = sum(p.grad.abs().sum() for _, p in params)
    assert total > 0, 'all gradients are zero'


def assert_no_grads(module: nn.Module) -> None:
    for name, p in module.named_parameters():
        assert p.grad is None, f'{name} got a gradient'


def zero_grads(module: nn.Module) -> None:
    for p in module.parameters():
        p.grad = None


# --------------------------------------------------------------------------
# Global-batch terms under a simulated 2-process group.
# --------------------------------------------------------------------------
#: The global batch and its (uneven) split over the two ranks.
DIST_BATCH = 8
DIST_SPLIT = (3, 5)
DIST_TIMEOUT_S = 120


def global_batch_terms() -> Dict[str, nn.Module]:
    return {
        'bn_l2': BNStatisticsLoss(mode='l2'),
        'bn_gaussian_kl': BNStatisticsLoss(mode='gaussian_kl'),
        'class_balance': ClassBalanceLoss(),
        'diversity': InterSampleDiversityLoss(),
    }


def terms_values_and_grads(z: torch.Tensor) -> Dict[str, dict]:
    """Value of each global-batch term on the batch ``z`` (this process's
    part of it) and the generator's gradients after its backward."""
    generator = make_generator()
    teacher = make_teacher()
    results = {}
    for name, term in global_batch_terms().items():
        zero_grads(generator)
        ctx = build_context(generator(z), teacher)
        ctx.latents = z
        loss = term(ctx)
        loss.backward()
        results[name] = dict(
            value=loss.detach().clone(),
            grads={
                n: p.grad.detach().clone()
                for n, p in generator.named_parameters()
            })
    return results


def dist_latents() -> torch.Tensor:
    return latents(DIST_BATCH, seed=11)


def _dist_worker(rank: int, port: int, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=2,
        timeout=datetime.timedelta(seconds=60))
    try:
        z_local = dist_latents().split(list(DIST_SPLIT))[rank]
        results = terms_values_and_grads(z_local)
        torch.save(results, os.path.join(out_dir, f'rank{rank}.pt'))
        dist.barrier()
    finally:
        dist.destroy_process_group()



def run_two_process_terms(out_dir: str) -> List[Dict[str, dict]]:
    """Run :func:`terms_values_and_grads` on each rank's part of the global
    batch in a 2-process gloo group; returns the per-rank results."""
    # 'fork' reuses the parent's imports (torch, mmdfkd: seconds saved); the
    # workers run single-threaded, as DataLoader workers do after a fork.
    # A process group left initialised in this process would be inherited.
    method = ('fork' if 'fork' in mp.get_all_start_methods()
              and not dist.is_initialized() else 'spawn')
    context = mp.start_processes(
        _dist_worker,
        args=(free_port(), out_dir),
        nprocs=2,
        join=False,
        start_method=method)
    deadline = time.monotonic() + DIST_TIMEOUT_S
    while not context.join(timeout=1):
        if time.monotonic() > deadline:
            for p in context.processes:
                if p.is_alive():
                    p.terminate()
            raise TimeoutError('the 2-process group did not finish in '
                               f'{DIST_TIMEOUT_S} s')
    return [
        torch.load(os.path.join(out_dir, f'rank{r}.pt'), weights_only=False)
        for r in range(2)
    ]
