from . import hooks, optimizers  # noqa: F401
from .amp import enable_amp
from .export import export_student, train_teacher_weights
from .preflight import preflight
from .resume import check_resumable, enable_resume
from .strict_load import (CheckpointMismatchError, build_runner,
                          check_state_fits)

__all__ = [
    'CheckpointMismatchError', 'build_runner',
    'check_resumable', 'check_state_fits', 'enable_amp', 'enable_resume',
    'export_student',
    'preflight', 'train_teacher_weights'
]
