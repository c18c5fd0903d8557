"""One rank of the 2-process CPU DDP check (run by torchrun from the tests).

Writes ``rank<R>.json`` with what it observed into the folder given as the
first argument; the test asserts on those files.
"""
import json
import os
import sys

import torch
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

import mmdfkd  # noqa: F401  (applies the compatibility layer)


class ToyModel(BaseModel):
    """Linear regression, enough for a Runner."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        out = self.lin(inputs)
        if mode == 'loss':
            return dict(loss=((out.squeeze(1) - targets)**2).mean())
        return out


class ToyData(Dataset):
    """Eight fixed samples."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=torch.full((3, ), float(i)), targets=float(i))


class TwoHeads(nn.Module):
    """A model with two parameterised children (for the separate wrapper)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(2, 1)


def check(out_dir: str) -> dict:
    import torch.distributed as dist
    from mmengine.dist import init_dist
    from mmengine.model import (MMDistributedDataParallel,
                                MMSeparateDistributedDataParallel)

    from mmdfkd.compat import distributed as compat_distributed

    init_dist('pytorch', backend='nccl')
    rank, local_rank = dist.get_rank(), int(os.environ['LOCAL_RANK'])
    report = dict(rank=rank, world_size=dist.get_world_size(),
                  backend=dist.get_backend(),
                  warned_nccl_to_gloo=compat_distributed._warned)

    total = torch.tensor([float(rank + 1)])
    dist.all_reduce(total)
    report['all_reduce'] = total.item()

    torch.manual_seed(rank)  # different data per rank
    model = MMDistributedDataParallel(module=nn.Linear(3, 1),
                                      device_ids=[local_rank])
    report['ddp_device_ids'] = model.device_ids
    model(torch.randn(4, 3)).sum().backward()
    grad = model.module.weight.grad.clone()
    grads = [torch.zeros_like(grad) for _ in range(2)]
    dist.all_gather(grads, grad)
    report['grads_synced'] = bool(torch.allclose(grads[0], grads[1]))

    sep = MMSeparateDistributedDataParallel(module=TwoHeads(),
                                            device_ids=[local_rank])
    report['separate_children'] = [
        type(m).__name__ for m in (sep.module.a, sep.module.b)]
    report['separate_device_ids'] = [sep.module.a.device_ids,
                                     sep.module.b.device_ids]

    from mmengine.runner import Runner
    runner = Runner(
        model=ToyModel(), work_dir=os.path.join(out_dir, 'work'),
        launcher='pytorch',
        env_cfg=dict(dist_cfg=dict(backend='nccl')),
        train_dataloader=dict(
            dataset=ToyData(), batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmengine')
    runner.train()
    report['runner_wrapper'] = type(runner.model).__name__
    report['runner_iter'] = runner.iter
    weight = runner.model.module.lin.weight.detach().clone()
    weights = [torch.zeros_like(weight) for _ in range(2)]
    dist.all_gather(weights, weight)
    report['runner_weights_synced'] = bool(
        torch.allclose(weights[0], weights[1]))

    return report


def main(out_dir: str) -> None:
    import torch.distributed as dist

    from mmdfkd.compat.distributed import destroy_process_group_cleanly

    # check() has returned: its runner and DDP models are garbage now
    report = check(out_dir)
    report['destroyed'] = destroy_process_group_cleanly()
    report['initialized_after'] = dist.is_initialized()
    with open(os.path.join(out_dir, f"rank{report['rank']}.json"), 'w') as f:
        json.dump(report, f)


if __name__ == '__main__':
    main(sys.argv[1])
