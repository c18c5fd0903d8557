from .dist import all_ranks_true, global_sum, is_distributed
from .module import unwrap_model
from .packed_state import pack_state, unpack_state

__all__ = [
    'all_ranks_true', 'global_sum', 'is_distributed', 'pack_state',
    'unpack_state', 'unwrap_model'
]
