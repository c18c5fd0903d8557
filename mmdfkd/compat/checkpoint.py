"""An allow-list that lets ``weights_only=True`` load mmengine checkpoints.

Why: since torch 2.6 ``torch.load`` defaults to ``weights_only=True``, whose
restricted unpickler refuses every global it does not know. mmengine 0.10.7
never passes ``weights_only``, and its runner checkpoints carry a few
non-tensor objects (the message hub's ``HistoryBuffer`` with numpy arrays and
scalars), so ``load_checkpoint`` and ``Runner.resume`` fail with
``Unsupported global: GLOBAL mmengine.logging.history_buffer.HistoryBuffer``.

The fix registers exactly those globals with
``torch.serialization.add_safe_globals`` and never falls back to
``weights_only=False``: a checkpoint carrying anything else is still refused.
The list was found empirically with
``torch.serialization.get_unsafe_globals_in_checkpoint`` on checkpoints of a
small mmengine runner (optimizer, LR schedulers, EMA, numpy metrics, best
checkpoint), see ``tests/test_compat/test_checkpoint.py``:

* ``mmengine.logging.history_buffer.HistoryBuffer``;
* ``builtins.getattr``: ``HistoryBuffer.__getstate__`` stores its statistics
  methods, pickled as ``getattr(HistoryBuffer, 'min')``. The real ``getattr``
  would open every attribute chain to a payload, so that name is bound to
  :func:`history_buffer_method`, which only returns the statistics methods
  of ``HistoryBuffer``;
* numpy: ``numpy.ndarray``, ``numpy.dtype``, ``_reconstruct`` and ``scalar``
  (under their numpy 2 ``numpy._core.multiarray`` and numpy 1
  ``numpy.core.multiarray`` names), and the plain numeric dtype classes
  (``numpy.dtypes.Float64DType`` ...), which the unpickler must be allowed
  to ``BUILD`` although they never appear as a global.

Inert on torch < 2.6, where ``torch.load`` does not default to weights-only.
"""
import os
import pickle
import zipfile
from typing import Any, Callable, Dict, List, Tuple, Union

import numpy as np
import torch

__all__ = ['CorruptCheckpointError', 'UntrustedCheckpointError',
           'allow_list', 'apply', 'check_zip_integrity',
           'history_buffer_method', 'load_untrusted_checkpoint', 'needs_fix']

SafeGlobal = Union[Callable, Tuple[Callable, str]]

# Statistics methods HistoryBuffer pickles by reference.
_HISTORY_METHODS = ('min', 'max', 'current', 'mean')
# Numeric/bool scalar types whose dtype classes may be rebuilt.
_NUMPY_SCALARS = (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                  np.uint32, np.int64, np.uint64, np.longlong, np.ulonglong,
                  np.float16, np.float32, np.float64, np.complex64,
                  np.complex128)


class UntrustedCheckpointError(ValueError):
    """A checkpoint file was refused: it is not a plain weights checkpoint."""


class CorruptCheckpointError(ValueError):
    """A checkpoint file cannot be read: it is truncated or damaged."""


# Words of the weights-only unpickler when it meets an object it will not
# build (a global outside the allow-list, a class it may not create): the
# file is well-formed and deliberately refused. Any other failure of a
# well-formed file's unpickling means damaged bytes.
_REFUSAL_MARKERS = ('GLOBAL ', 'allowlisted', 'is not allowed')


def history_buffer_method(obj: Any, name: str) -> Callable:
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods.

    Bound to ``builtins.getattr`` in the weights-only unpickler.

    Args:
        obj: Must be ``HistoryBuffer`` itself.
        name: One of ``min``, ``max``, ``current``, ``mean``.

    Returns:
        Callable: The function ``HistoryBuffer.<name>``.

    Raises:
        pickle.UnpicklingError: For anything else.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_METHODS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a weights-only load '
        '(only HistoryBuffer statistics methods are)')


def _multiarray() -> Any:
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    return multiarray


def allow_list() -> List[SafeGlobal]:
    """The allow-list (see the module docstring for why each is there).

    Returns:
        list: Items for ``torch.serialization.add_safe_globals``.
    """
    from mmengine.logging import HistoryBuffer
    multiarray = _multiarray()
    items: List[SafeGlobal] = [
        HistoryBuffer,
        (history_buffer_method, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
    ]
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        items.append((multiarray._reconstruct, f'{module}._reconstruct'))
        items.append((multiarray.scalar, f'{module}.scalar'))
    dtype_classes: Dict[type, None] = {}
    for scalar in _NUMPY_SCALARS:
        dtype_classes[type(np.dtype(scalar))] = None
    items.extend(dtype_classes)
    return items


def _weights_only_by_default() -> bool:
    return torch.__version__ >= '2.6'  # TorchVersion compares as a version


def needs_fix() -> bool:
    """Whether ``torch.load`` defaults to ``weights_only=True``.

    Returns:
        bool: True on torch >= 2.6.
    """
    return (_weights_only_by_default()
            and hasattr(torch.serialization, 'add_safe_globals'))


def _register() -> None:
    # add_safe_globals keeps a set: registering twice changes nothing.
    torch.serialization.add_safe_globals(allow_list())


def apply() -> bool:
    """Register the allow-list where ``torch.load`` is weights-only.

    Returns:
        bool: True if the allow-list was registered.
    """
    if not needs_fix():
        return False
    _register()
    return True


def check_zip_integrity(path: str) -> None:
    """Raise when ``path`` is a zip archive (torch's format since 1.6) whose
    directory or entries are damaged.

    torch's reader checks neither the archive's CRC-32 sums nor, for most
    truncations, that the file is complete, so one changed byte loads
    silently as a different weight. Reading every entry once costs one
    pass over the file.

    Args:
        path: The checkpoint file.

    Raises:
        CorruptCheckpointError: An entry fails its CRC-32 check or the
            archive cannot be read.
    """
    if not zipfile.is_zipfile(path):
        return  # torch's legacy format, or no end-of-archive record at all
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise CorruptCheckpointError(
            _corrupt_message(path, f'{type(err).__name__}: {err}')) from err
    if bad is not None:
        raise CorruptCheckpointError(_corrupt_message(
            path, f'its entry {bad!r} fails its CRC-32 check: bytes changed '
            'after it was saved'))


def _corrupt_message(path: str, reason: str) -> str:
    return (f'checkpoint {path} is corrupt or incomplete ({reason}). A '
            'truncated copy or an interrupted save does this: copy it again '
            'or save it again (a teacher: retrain it, or export its weights '
            'again).')


def load_untrusted_checkpoint(path: Union[str, os.PathLike],
                              map_location: Any = 'cpu') -> Dict[str, Any]:
    """Load a checkpoint from an untrusted source, weights only.

    Only tensors, containers and the allow-listed globals are rebuilt;
    nothing in the file is ever executed. A damaged file (truncated, or
    an entry failing its CRC-32 check) is told apart from a well-formed
    file that holds objects outside the allow-list.

    Args:
        path: The checkpoint file.
        map_location: Passed to :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        CorruptCheckpointError: If the file is truncated or damaged.
        UntrustedCheckpointError: If the file holds anything outside the
            allow-list, or is not a dict.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Checkpoint file not found: {path}')
    check_zip_integrity(path)
    if hasattr(torch.serialization, 'add_safe_globals'):
        _register()
    refused = (f'{path} is not a plain weights checkpoint and was refused '
               '(loaded with weights_only=True; nothing in it was run)')
    try:
        checkpoint = torch.load(path, map_location=map_location,
                                weights_only=True)
    except Exception as err:  # noqa: BLE001 - classified and re-raised
        message = str(err)
        if isinstance(err, pickle.UnpicklingError) and any(
                marker in message for marker in _REFUSAL_MARKERS):
            raise UntrustedCheckpointError(f'{refused}: {err}') from err
        first_line = message.splitlines()[0] if message else 'no data'
        raise CorruptCheckpointError(_corrupt_message(
            path, f'{type(err).__name__}: {first_line}')) from err
    if not isinstance(checkpoint, dict):
        raise UntrustedCheckpointError(
            f'{refused}: it holds a {type(checkpoint).__name__}, not a dict')
    return checkpoint
