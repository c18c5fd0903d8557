from .generator_reset_hook import GeneratorResetHook
from .memory_bank_hook import ContrastiveMemoryBankHook
from .rng_state_hook import RNGStateHook
from .seg_prediction_grid_hook import SegPredictionGridHook
from .student_export_hook import StudentExportHook
from .synthetic_image_grid_hook import SyntheticImageGridHook, make_grid_image

__all__ = [
    'ContrastiveMemoryBankHook', 'GeneratorResetHook', 'RNGStateHook',
    'SegPredictionGridHook', 'StudentExportHook',
    'SyntheticImageGridHook', 'make_grid_image'
]
