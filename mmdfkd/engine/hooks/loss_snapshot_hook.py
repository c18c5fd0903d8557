from mmengine.hooks import Hook

from mmdfkd.models.losses import ExpIncrementPenalty
from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model


@HOOKS.register_module()
class LossSnapshotHook(Hook):
    """Refresh the snapshots of every :class:`ExpIncrementPenalty` of the
    model once per "epoch" of ``interval`` iterations (RDSKD: 120).

    The snapshots are buffers of the loss terms, so they are saved and
    resumed with the model; refreshes happen at the same iterations on
    every rank (each one all-reduces the running sums).

    Args:
        interval (int): Iterations per epoch. Defaults to 120.
    """
    priority = 'NORMAL'

    def __init__(self, interval: int = 120) -> None:
        if int(interval) < 1:
            raise ValueError(
                f'LossSnapshotHook: interval must be >= 1, got {interval}')
        self.interval = int(interval)

    def before_train(self, runner) -> None:
        if not self._penalties(runner):
            raise TypeError(
                'LossSnapshotHook: the model has no ExpIncrementPenalty '
                'loss term to refresh; remove the hook or wrap a loss term '
                "in dict(type='ExpIncrementPenalty', loss=...)")

    @staticmethod
    def _penalties(runner):
        return [
            m for m in unwrap_model(runner.model).modules()
            if isinstance(m, ExpIncrementPenalty)
        ]

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if (runner.iter + 1) % self.interval:
            return
        for penalty in self._penalties(runner):
            penalty.refresh_snapshot()
