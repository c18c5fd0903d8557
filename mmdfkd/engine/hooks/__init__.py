from .channels_last_hook import ChannelsLastHook
from .collapse_monitor_hook import CollapseMonitorHook
from .progress_hook import ProgressHook
from .resume_schedule_hook import ResumeScheduleHook, ScheduleResumeError
from .rng_state_hook import RNGStateHook
from .seg_prediction_grid_hook import SegPredictionGridHook
from .student_export_hook import StudentExportHook
from .synthetic_image_grid_hook import SyntheticImageGridHook, make_grid_image
from .teacher_export_hook import TeacherExportHook
from .time_budget_hook import TimeBudgetHook
from .val_curve_hook import ValCurveHook

__all__ = [
    'ChannelsLastHook', 'CollapseMonitorHook', 'ProgressHook',
    'ResumeScheduleHook', 'RNGStateHook', 'ScheduleResumeError',
    'SegPredictionGridHook', 'StudentExportHook', 'SyntheticImageGridHook',
    'TeacherExportHook', 'TimeBudgetHook', 'ValCurveHook', 'make_grid_image'
]
