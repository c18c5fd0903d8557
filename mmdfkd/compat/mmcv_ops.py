"""A lazy ``mmcv.ops`` stand-in for mmcv-lite (no compiled ``mmcv._ext``).

Why: mmseg imports all its modules eagerly and a few of them do
``from mmcv.ops import point_sample`` / ``sigmoid_focal_loss`` unguarded.
With mmcv-lite the real ``mmcv.ops`` fails to import (``No module named
'mmcv._ext'``), so ``import mmseg.models`` fails although nothing on the
DeepLabV3/FCN/PSP paths calls a compiled op.

The stand-in serves the ops that have a plain-PyTorch form (``point_sample``)
and, for any other name, a placeholder class: ``from mmcv.ops import X``
succeeds, ``isinstance(m, X)`` is simply False, and calling or instantiating
``X`` raises :class:`CompiledOpUnavailableError` telling how to install the
full mmcv. Submodules (``mmcv.ops.nms`` ...) stay unimportable, so guarded
imports of them keep taking their fallback path.

Inert when mmcv is not installed, when ``mmcv._ext`` imports (full mmcv), or
when ``mmcv.ops`` is already imported.
"""
import importlib
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any, Callable, Dict, Tuple

import torch
import torch.nn.functional as F

__all__ = ['CompiledOpUnavailableError', 'LiteOpsModule', 'apply',
           'needs_fix', 'point_sample']

INSTALL_HINT = ('install full mmcv: pip uninstall -y mmcv-lite && '
                'pip install "setuptools<81" && '
                'pip install --no-build-isolation "mmcv==2.1.0" '
                '(builds the ops from source, ~20 min on 2 cores)')


class CompiledOpUnavailableError(RuntimeError):
    """An ``mmcv.ops`` name was used that only exists as a compiled op."""


def point_sample(input: torch.Tensor, points: torch.Tensor,
                 align_corners: bool = False, **kwargs: Any) -> torch.Tensor:
    """Bilinearly sample ``input`` at normalized ``points``.

    Same contract as mmcv's ``point_sample``: point coordinates are ``(x, y)``
    in ``[0, 1]`` over the whole feature map; they are mapped to
    ``grid_sample``'s ``[-1, 1]`` range.

    Args:
        input: Features of shape ``(N, C, H, W)``.
        points: ``(N, P, 2)`` or ``(N, Hg, Wg, 2)`` coordinates in ``[0, 1]``.
        align_corners: Passed to :func:`torch.nn.functional.grid_sample`.
        **kwargs: Other ``grid_sample`` arguments (``mode``,
            ``padding_mode``).

    Returns:
        torch.Tensor: ``(N, C, P)`` for 3-d ``points``, else
        ``(N, C, Hg, Wg)``.
    """
    flat = points.dim() == 3
    grid = points.unsqueeze(2) if flat else points
    out = F.grid_sample(input, grid * 2.0 - 1.0,
                        align_corners=align_corners, **kwargs)
    return out.squeeze(3) if flat else out


NOT_COMPILED = 'n/a (mmcv-lite: no compiled ops)'

_PURE: Dict[str, Callable[..., Any]] = {
    'point_sample': point_sample,
    # Only informational (mmcv.utils.collect_env asks for them).
    'get_compiler_version': lambda: NOT_COMPILED,
    'get_compiling_cuda_version': lambda: NOT_COMPILED,
}


class _UnavailableMeta(type):
    """Metaclass whose classes refuse to be called (i.e. instantiated)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise CompiledOpUnavailableError(
            f"mmcv.ops.{cls.__name__} needs mmcv's compiled ops, which "
            f'mmcv-lite does not ship; {INSTALL_HINT}')


def _placeholder(name: str) -> type:
    doc = f'Placeholder for mmcv.ops.{name}; using it raises.'
    return _UnavailableMeta(name, (), {'__doc__': doc,
                                       '__module__': 'mmcv.ops'})


class LiteOpsModule(ModuleType):
    """``mmcv.ops`` stand-in that resolves names on first access."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        value = _PURE[name] if name in _PURE else _placeholder(name)
        setattr(self, name, value)
        return value


def _mmcv_installed() -> bool:
    if 'mmcv' in sys.modules:
        return True
    try:
        return importlib.util.find_spec('mmcv') is not None
    except (ImportError, ValueError):
        return False


def _ext_importable() -> bool:
    if 'mmcv._ext' in sys.modules:
        return True
    try:
        importlib.import_module('mmcv._ext')
    except (ImportError, OSError):
        return False
    return True


def needs_fix() -> bool:
    """Whether ``mmcv.ops`` needs the stand-in.

    Returns:
        bool: True when mmcv is installed, ``mmcv.ops`` is not imported yet,
        and ``mmcv._ext`` cannot be imported.
    """
    if 'mmcv.ops' in sys.modules or not _mmcv_installed():
        return False
    return not _ext_importable()


def _make_module() -> Tuple[LiteOpsModule, ModuleType]:
    parent = importlib.import_module('mmcv')
    module = LiteOpsModule('mmcv.ops', __doc__)
    module.__spec__ = importlib.machinery.ModuleSpec('mmcv.ops', None)
    module.__package__ = 'mmcv'
    module._mmdfkd_compat = True  # type: ignore[attr-defined]
    return module, parent


def apply() -> bool:
    """Install the ``mmcv.ops`` stand-in where the compiled ops are missing.

    Returns:
        bool: True if this call installed it.
    """
    if not needs_fix():
        return False
    module, parent = _make_module()
    sys.modules['mmcv.ops'] = module
    parent.ops = module  # type: ignore[attr-defined]
    return True
