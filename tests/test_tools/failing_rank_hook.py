"""A hook that fails on one rank only (imported by a 2-process test)."""
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS


@HOOKS.register_module()
class FailOnRankHook(Hook):
    """Raise after the first training iteration on ``rank``, while the
    other ranks go on into the next iteration's collectives."""

    def __init__(self, rank: int = 1) -> None:
        self.rank = rank

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if get_rank() == self.rank:
            raise RuntimeError(f'deliberate failure on rank {self.rank}')
