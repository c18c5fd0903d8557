"""mmdfkd: data-free knowledge distillation for the OpenMMLab stack.

The compatibility layer is applied first, before anything imports
torchvision, mmcv or mmseg, so that ``import mmdfkd`` (or naming it in a
config's ``custom_imports``) is enough to run the pinned stack on current
PyTorch.
"""
from .compat import apply_compat

apply_compat()

from . import datasets, engine, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'apply_compat']
