"""Run by ``test_memory_bank.py`` under torchrun (2 processes, gloo): every
rank pushes its own features into a :class:`MemoryBank`; each rank saves
its bank state and a draw with a fixed generator to ``OUT_DIR/rank{r}.pth``.

Rank ``r``'s ``k``-th pushed row (push ``p``) is filled with
``1000·p + 100·r + k``, so the test can tell where each row came from.
"""
import os
import sys

import torch
import torch.distributed as dist

SIZE, DIM, N, PUSHES = 10, 3, 3, 3  # 6 rows per global push: wraps mid-push


def rows(push: int, rank: int) -> torch.Tensor:
    values = 1000. * push + 100. * rank + torch.arange(N, dtype=torch.float32)
    return values[:, None].expand(N, DIM).contiguous()


def main(out_dir: str) -> None:
    from mmdfkd.compat.distributed import destroy_process_group_cleanly
    from mmdfkd.models.synthesizers.memory_bank import MemoryBank
    dist.init_process_group('gloo')
    rank = dist.get_rank()
    bank = MemoryBank(SIZE, DIM, batch_size=N * dist.get_world_size())
    for push in range(PUSHES):
        bank.push(rows(push, rank))
    draw = bank.sample(4, generator=torch.Generator().manual_seed(0))
    torch.save(
        dict(state=bank.state_dict(), draw=draw),
        os.path.join(out_dir, f'rank{rank}.pth'))
    destroy_process_group_cleanly()


if __name__ == '__main__':
    main(sys.argv[1])
