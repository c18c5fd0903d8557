"""The batch the losses see, split over the processes of a run."""
from mmengine.dist import get_world_size
from torch.utils.data import BatchSampler, Sampler

from mmdfkd.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class GlobalBatchSampler(BatchSampler):
    """Batches of ``batch_size / world_size`` indices of ``sampler``: the
    dataloader's ``batch_size`` is the *global* batch, the one every loss
    sees (BN statistics and class balance are computed over it on every
    rank), and each of the run's processes draws an equal share of it.

    The world size is read when the dataloader is built, so the split
    happens wherever the config is run (``tools/train.py``,
    ``Runner.from_cfg``, ``torchrun``). Config::

        train_dataloader = dict(
            batch_size=128,  # global
            batch_sampler=dict(type='GlobalBatchSampler'),
            sampler=dict(type='InfiniteSampler', shuffle=True), ...)

    Args:
        sampler (Sampler): The per-process index sampler (MMEngine passes
            the dataloader's ``sampler``).
        batch_size (int): The global batch (MMEngine passes the
            dataloader's ``batch_size``).
        drop_last (bool): Defaults to False.

    Raises:
        ValueError: When the world size does not divide ``batch_size``.
    """

    def __init__(self, sampler: Sampler, batch_size: int,
                 drop_last: bool = False) -> None:
        world_size = get_world_size()
        if batch_size % world_size:
            raise ValueError(
                f'the global batch train_dataloader.batch_size={batch_size} '
                f'cannot be split evenly over {world_size} processes; '
                'choose a process count that divides it or set '
                '--cfg-options train_dataloader.batch_size=<multiple of '
                f'{world_size}>')
        super().__init__(sampler, batch_size // world_size, drop_last)
        self.global_batch_size = batch_size
