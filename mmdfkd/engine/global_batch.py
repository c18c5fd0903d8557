import os

from mmengine.config import Config


def apply_global_batch(cfg: Config, world_size: int = None) -> None:
    """Turn ``cfg.global_batch_size`` into the per-process batch size.

    Data-free configs state the batch the method's losses see (BN statistics
    and class balance are computed over it on every rank); each of the
    ``world_size`` processes draws an equal share of it.

    Args:
        cfg (Config): A config; nothing happens without
            ``global_batch_size``.
        world_size (int, optional): Processes. Defaults to ``WORLD_SIZE``
            from the environment (set by torchrun), else 1.
    """
    total = cfg.get('global_batch_size')
    if total is None:
        return
    if world_size is None:
        world_size = int(os.environ.get('WORLD_SIZE', 1))
    if total % world_size:
        raise ValueError(
            f'global_batch_size={total} cannot be split evenly over '
            f'{world_size} processes; choose a process count that divides '
            f'it or set --cfg-options global_batch_size=<multiple of '
            f'{world_size}>')
    cfg.train_dataloader.batch_size = total // world_size
