from .data_free_ddp import DataFreeDistributedDataParallel

__all__ = ['DataFreeDistributedDataParallel']
