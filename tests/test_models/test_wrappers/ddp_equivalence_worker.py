"""Trains a few rounds of a small distiller on ``GLOBAL_BATCH`` latents,
split over however many processes run this script (torchrun, or one plain
process), and saves the losses and final weights.

Student and generator have no BatchNorm (SyncBN is GPU-only), so one process
on the whole batch and N processes on 1/N of it must agree exactly up to
float reordering; the teacher's BN-statistics and class-balance terms are
global through mmdfkd's all-reduce.
"""
import os
import sys

import torch
import torch.distributed as dist

import mmdfkd  # noqa: F401
from mmengine.registry import DefaultScope

GLOBAL_BATCH = 16
ROUNDS = 3


def train(out_path: str, world: int, rank: int) -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))))
    from tests.conftest import distiller_cfg, load_cfg
    from mmdfkd.datasets import LatentDataset
    from mmdfkd.models.wrappers import DataFreeDistributedDataParallel
    from mmdfkd.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
    from mmdfkd.utils import unwrap_model

    teacher = load_cfg('configs/_base_/models/digits_teacher.py').teacher
    student = load_cfg('configs/_base_/models/digits_student.py').student
    student.backbone.norm_cfg = None
    cfg = distiller_cfg(
        teacher.to_dict(),
        student.to_dict(),
        generator_losses=dict(
            bn=dict(type='BNStatisticsLoss'),
            balance=dict(type='ClassBalanceLoss', loss_weight=2.0),
            onehot=dict(type='OneHotLoss', target='sampled'),
            adv=dict(type='AdversarialL1Loss')),
        student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=2.0)),
        schedule=[('student', 1), ('generator', 1)])
    cfg['synthesizer']['generator']['norm_cfg'] = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        model = MODELS.build(cfg)
        model.init_weights()
        if world > 1:
            model = DataFreeDistributedDataParallel(model)
        optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(
                type='MultiOptimWrapperConstructor',
                optim_wrapper_cfg=dict(
                    generator=dict(optimizer=dict(type='SGD', lr=0.05)),
                    student=dict(optimizer=dict(type='SGD', lr=0.1)))))(
                        model)
    model.train()
    latents = LatentDataset(16, draws=2, num_classes=10)
    local = GLOBAL_BATCH // world
    logs = []
    for step in range(ROUNDS):
        first = step * GLOBAL_BATCH + rank * local
        batch = torch.utils.data.default_collate(
            [latents[i] for i in range(first, first + local)])
        log = model.train_step(batch, optim)
        if world > 1:  # the global figure: the mean over equal shares
            for value in log.values():
                dist.all_reduce(value)
                value /= world
        logs.append({k: float(v) for k, v in log.items()})
    if rank == 0:
        torch.save(
            dict(logs=logs, state=unwrap_model(model).state_dict()), out_path)


def main(out_path: str) -> None:
    from mmdfkd.compat.distributed import destroy_process_group_cleanly
    world = int(os.environ.get('WORLD_SIZE', 1))
    rank = int(os.environ.get('RANK', 0))
    if world > 1:
        dist.init_process_group('gloo')
    train(out_path, world, rank)
    destroy_process_group_cleanly()


if __name__ == '__main__':
    main(sys.argv[1])
