from . import hooks, optimizers  # noqa: F401
from .amp import enable_amp
from .export import export_student
from .resume import check_resumable

__all__ = ['check_resumable', 'enable_amp', 'export_student']
