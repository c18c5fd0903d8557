from . import hooks, optimizers  # noqa: F401
from .amp import enable_amp
from .export import (export_student, save_teacher_weights,
                     train_teacher_weights)
from .global_batch import apply_global_batch
from .preflight import preflight
from .resume import check_resumable

__all__ = [
    'apply_global_batch', 'check_resumable', 'enable_amp', 'export_student',
    'preflight', 'save_teacher_weights', 'train_teacher_weights'
]
