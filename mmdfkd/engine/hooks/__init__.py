from .channels_last_hook import ChannelsLastHook
from .generator_reset_hook import GeneratorResetHook
from .memory_bank_hook import ContrastiveMemoryBankHook
from .rng_state_hook import RNGStateHook
from .student_export_hook import StudentExportHook
from .synthetic_image_grid_hook import SyntheticImageGridHook, make_grid_image

__all__ = [
    'ChannelsLastHook', 'ContrastiveMemoryBankHook', 'GeneratorResetHook',
    'RNGStateHook', 'StudentExportHook', 'SyntheticImageGridHook',
    'make_grid_image'
]
