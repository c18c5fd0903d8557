from .channels_last_hook import ChannelsLastHook
from .generator_reset_hook import GeneratorResetHook
from .loss_snapshot_hook import LossSnapshotHook
from .memory_bank_hook import ContrastiveMemoryBankHook
from .rng_state_hook import RNGStateHook
from .schedule_switch_hook import ScheduleSwitchHook
from .seg_prediction_grid_hook import SegPredictionGridHook
from .student_export_hook import StudentExportHook
from .synthetic_image_grid_hook import SyntheticImageGridHook, make_grid_image
from .time_budget_hook import TimeBudgetHook
from .val_curve_hook import ValCurveHook

__all__ = [
    'ChannelsLastHook', 'ContrastiveMemoryBankHook', 'GeneratorResetHook',
    'LossSnapshotHook', 'RNGStateHook', 'ScheduleSwitchHook',
    'SegPredictionGridHook', 'StudentExportHook', 'SyntheticImageGridHook',
    'TimeBudgetHook', 'ValCurveHook', 'make_grid_image'
]
