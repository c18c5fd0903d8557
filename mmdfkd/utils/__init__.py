from .dist import all_ranks_true, global_sum, is_distributed
from .module import unwrap_model

__all__ = ['all_ranks_true', 'global_sum', 'is_distributed', 'unwrap_model']
