from .student_export_hook import StudentExportHook
from .synthetic_image_grid_hook import SyntheticImageGridHook, make_grid_image

__all__ = ['StudentExportHook', 'SyntheticImageGridHook', 'make_grid_image']
