"""Plain-torch ``torchvision::nms``/``qnms`` when torchvision's ``_C`` fails.

Why: the only torchvision matching torch 2.13 on PyPI (0.28.0) is a CUDA
build. Next to a CPU torch its native library ``_C`` does not load, and then
``import torchvision`` itself fails in ``_meta_registrations`` with
``RuntimeError: operator torchvision::nms does not exist``. Defining the two
operators torchvision registers fake kernels for (``nms`` and ``qnms``) with a
plain-torch implementation before torchvision is imported makes it import.

torchvision still believes it has no ops (``extension._has_ops()`` is False,
which keeps the other native ops off, as they should be), so its Python
``ops.nms`` would refuse to run; a one-shot import hook therefore replaces
``torchvision.ops.boxes.nms`` with a thin dispatcher to the operators defined
here, the moment that module is imported.

Inert when torchvision is not installed, already imported, or when its own
library (or anything else) provides the operators.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any, List, Optional, Sequence

import torch

__all__ = ['apply', 'nms_reference', 'needs_fix']

_OPS = ('nms', 'qnms')
_SCHEMA = '(Tensor dets, Tensor scores, float iou_threshold) -> Tensor'
_BOXES_MODULE = 'torchvision.ops.boxes'

# Libraries must stay referenced: a collected Library drops its registrations.
_LIBRARY: Optional[torch.library.Library] = None
_DEFINED: List[str] = []


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor,
                  iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression in plain torch.

    Boxes are visited by decreasing score; a box is kept unless its IoU with
    an already kept box is greater than ``iou_threshold``.

    Args:
        boxes: ``(N, 4)`` boxes as ``(x1, y1, x2, y2)``.
        scores: ``(N,)`` scores.
        iou_threshold: Boxes overlapping a kept one by more than this are
            discarded.

    Returns:
        torch.Tensor: int64 indices of the kept boxes, by decreasing score,
        on the device of ``boxes``.
    """
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f'boxes must be (N, 4), got {tuple(boxes.shape)}')
    if scores.dim() != 1 or scores.size(0) != boxes.size(0):
        raise ValueError('scores must be (N,) with N equal to len(boxes), '
                         f'got {tuple(scores.shape)}')
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    work = boxes.detach().to(torch.float64)
    order = torch.argsort(scores.detach(), descending=True, stable=True)
    work = work[order]
    x1, y1, x2, y2 = work.unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    suppressed = [False] * work.size(0)
    keep: List[int] = []
    for i in range(work.size(0)):
        if suppressed[i]:
            continue
        keep.append(i)
        if i + 1 == work.size(0):
            break
        w = (torch.minimum(x2[i], x2[i + 1:]) -
             torch.maximum(x1[i], x1[i + 1:])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[i + 1:]) -
             torch.maximum(y1[i], y1[i + 1:])).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas[i + 1:] - inter)
        for j in torch.nonzero(iou > iou_threshold).flatten().tolist():
            suppressed[i + 1 + j] = True
    kept = torch.tensor(keep, dtype=torch.long, device=order.device)
    return order[kept].to(device=boxes.device, dtype=torch.long)


def _nms_kernel(dets: torch.Tensor, scores: torch.Tensor,
                iou_threshold: float) -> torch.Tensor:
    return nms_reference(dets, scores, iou_threshold)


def _qnms_kernel(dets: torch.Tensor, scores: torch.Tensor,
                 iou_threshold: float) -> torch.Tensor:
    # Called with the integer representations of quantized tensors: scale
    # cancels out of the IoU and zero points out of the differences.
    return nms_reference(dets.to(torch.float64), scores.to(torch.float64),
                         iou_threshold)


def _op_exists(name: str) -> bool:
    """Whether ``torchvision::<name>`` has a schema registered."""
    return hasattr(torch.ops.torchvision, name)


def _native_library_path() -> Optional[str]:
    """Path of torchvision's ``_C`` extension, found without importing it."""
    try:
        spec = importlib.util.find_spec('torchvision')
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    details = (importlib.machinery.ExtensionFileLoader,
               importlib.machinery.EXTENSION_SUFFIXES)
    for folder in spec.submodule_search_locations:
        found = importlib.machinery.FileFinder(folder, details).find_spec('_C')
        if found is not None and found.origin:
            return found.origin
    return None


def _torchvision_installed() -> bool:
    try:
        return importlib.util.find_spec('torchvision') is not None
    except (ImportError, ValueError):
        return False


def needs_fix() -> bool:
    """Whether the torchvision operators are missing (loads ``_C`` if it can).

    Returns:
        bool: True when torchvision is installed, not imported yet, and
        neither its native library nor anything else defines the operators.
    """
    if 'torchvision' in sys.modules or not _torchvision_installed():
        return False
    if all(_op_exists(op) for op in _OPS):
        return False
    path = _native_library_path()
    if path is not None:
        try:  # the same attempt torchvision.extension makes on import
            torch.ops.load_library(path)
        except (OSError, ImportError, RuntimeError):
            pass
    return not all(_op_exists(op) for op in _OPS)


def _define_ops() -> None:
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = torch.library.Library('torchvision', 'FRAGMENT')
    kernels = {'nms': _nms_kernel, 'qnms': _qnms_kernel}
    for op in _OPS:
        if _op_exists(op):
            continue
        _LIBRARY.define(op + _SCHEMA)
        # Plain torch ops only, so one kernel serves every device.
        _LIBRARY.impl(op, kernels[op], 'CompositeExplicitAutograd')
        _DEFINED.append(op)


def _patch_boxes_module(module: ModuleType) -> None:
    """Point ``torchvision.ops.boxes.nms`` straight at the operators."""
    original = getattr(module, 'nms', None)
    if original is None or getattr(original, '_mmdfkd_compat', False):
        return

    def nms(boxes: torch.Tensor, scores: torch.Tensor,
            iou_threshold: float) -> torch.Tensor:
        if boxes.is_quantized:
            return torch.ops.torchvision.qnms(boxes.int_repr(),
                                              scores.int_repr(),
                                              iou_threshold)
        return torch.ops.torchvision.nms(boxes, scores, iou_threshold)

    nms.__doc__ = original.__doc__
    nms._mmdfkd_original = original  # type: ignore[attr-defined]
    nms._mmdfkd_compat = True  # type: ignore[attr-defined]
    module.nms = nms


class _PatchingLoader(importlib.abc.Loader):
    """Runs the real loader, then patches the freshly executed module."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:  # get_source, is_package...
        if name == '_inner':
            raise AttributeError(name)
        return getattr(self._inner, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _patch_boxes_module(module)


class _BoxesFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder that only intercepts ``torchvision.ops.boxes``."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]],
                  target: Optional[ModuleType] = None) -> Any:
        if fullname != _BOXES_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _PatchingLoader(spec.loader)
        return spec


def _install_boxes_hook() -> None:
    module = sys.modules.get(_BOXES_MODULE)
    if module is not None:
        _patch_boxes_module(module)
        return
    if not any(isinstance(f, _BoxesFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _BoxesFinder())


def apply() -> bool:
    """Define the missing operators and hook ``torchvision.ops.nms``.

    Idempotent: a second call finds the operators defined and does nothing.

    Returns:
        bool: True if this call defined operators.
    """
    if not needs_fix():
        return False
    _define_ops()
    _install_boxes_hook()
    return True
