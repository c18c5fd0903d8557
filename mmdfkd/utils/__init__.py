from .dist import (all_ranks_true, global_sum, is_distributed,
                   rank_distinct_rng)
from .latents import draw_latents
from .module import eval_mode, frozen, unwrap_model
from .packed_state import pack_state, unpack_state

__all__ = [
    'all_ranks_true', 'draw_latents', 'eval_mode', 'frozen', 'global_sum',
    'is_distributed', 'pack_state', 'rank_distinct_rng', 'unpack_state',
    'unwrap_model'
]
