"""A pool of synthesized images for pool-based data-free methods.

DeepInversion, CMI and Fast DFKD synthesize batches in rounds, keep them
and train the student on batches drawn from everything synthesized so far.
:class:`SyntheticPool` is that store: images in pixel space (the space of
real images before a data preprocessor normalises them), optionally with
the teacher's labels, kept on one device, appended in amortised O(batch)
time and sampled with torch ops only. It travels in its owning model's
``state_dict`` (``get_extra_state``) and exports to / loads from a
verified folder format (``docs/pool_format.md``).
"""
import hashlib
import io
import json
import os
import os.path as osp
import re
import time
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from mmdfkd.utils.packed_state import pack_state, unpack_state

__all__ = [
    'SyntheticPool', 'PoolFormatError', 'PoolFingerprintError', 'file_sha256',
    'POOL_FORMAT', 'POOL_VERSION'
]

POOL_FORMAT = 'mmdfkd-pool'
POOL_VERSION = 1
META_FILE = 'meta.json'
SHARD_PATTERN = re.compile(r'^shard_\d{5,}\.pt$')
FLOAT16_MAX = 65504.0

_DTYPES = {'float32': torch.float32, 'float16': torch.float16}


class PoolFormatError(ValueError):
    """A pool folder is incomplete, corrupt or not a pool at all."""


class PoolFingerprintError(PoolFormatError):
    """A pool was synthesized under other settings than those expected."""


def file_sha256(path: Union[str, os.PathLike],
                chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (checkpoint files can be large).

    Args:
        path: The file.
        chunk_size (int): Bytes read at a time. Defaults to 1 MiB.

    Returns:
        str: The hex digest.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _shard_name(index: int) -> str:
    return f'shard_{index:05d}.pt'


def _json_normalise(obj: Any, what: str) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists ...)."""
    try:
        return json.loads(json.dumps(obj, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise ValueError(f'{what} must be JSON-serialisable '
                         f'(str, int, float, bool, None, list, dict): {err}'
                         ) from err


def _mismatch_hint(key: str) -> str:
    low = key.lower()
    if 'teacher' in low:
        return 'this pool was synthesized by another teacher'
    if 'size' in low or 'shape' in low:
        return "the pool's images have another size"
    return 'this pool was synthesized under other settings'


def _fsync_dir(path: str) -> None:
    """Make renames in ``path`` durable where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class SyntheticPool(nn.Module):
    """Synthesized images (and optionally labels) kept for distillation.

    Images are float N×C×H×W tensors in pixel space (e.g. 0..255), labels
    int64 (N,), e.g. the teacher's argmax at synthesis time. Every batch
    added must have the C×H×W of the first, and carry labels if and only if
    the first did.

    Storage is one preallocated buffer that grows by doubling (amortised
    O(batch) appends, no re-concatenation); with ``max_size`` it becomes a
    ring buffer of that many images and each append overwrites the oldest
    (FIFO). :meth:`sample` draws indices with ``torch.randint`` on the
    pool's device and gathers them with one ``index_select``: its cost does
    not depend on the pool's size.

    The pool has no parameters or buffers: ``module.to(device)`` does not
    move it. Its images sit where the first :meth:`add` put them, or on
    ``device`` when given (``'cpu'`` keeps a large pool off the GPU; pass
    ``device=`` to :meth:`sample` to get batches on the GPU).

    In a model's ``state_dict`` the pool is one ``<prefix>_extra_state``
    entry, a dict of tensors, ints and strings (loads under
    ``torch.load(weights_only=True)``). ``save`` / ``load`` write and read
    the verified folder format of ``docs/pool_format.md``.

    Args:
        max_size (int, optional): Keep at most this many images, dropping
            the oldest first. Defaults to None (unbounded).
        store_dtype (str): ``'float32'`` or ``'float16'``. float16 halves
            the memory; it keeps 11 significant bits, so a value v is
            stored within ``|v| * 2**-11`` (0..255 pixels: within 0.0625;
            0..1 pixels: within 2.5e-4). Values beyond ±65504 are refused.
            :meth:`sample` always returns float32. Defaults to 'float32'.
        device (str, optional): Where the images are kept. Defaults to
            None: the device of the first batch added.
    """

    def __init__(self,
                 max_size: Optional[int] = None,
                 store_dtype: str = 'float32',
                 device: Optional[Union[str, torch.device]] = None) -> None:
        super().__init__()
        if max_size is not None and (isinstance(max_size, bool)
                                     or not isinstance(max_size, int)
                                     or max_size < 1):
            raise ValueError(
                f'max_size must be a positive int or None, got {max_size!r}')
        if store_dtype not in _DTYPES:
            raise ValueError(f'store_dtype must be one of {tuple(_DTYPES)}, '
                             f'got {store_dtype!r}')
        self.max_size = max_size
        self.store_dtype = store_dtype
        self._dtype = _DTYPES[store_dtype]
        self._device_arg = None if device is None else torch.device(device)
        #: The meta.json contents of the folder this pool was loaded from.
        self.meta: Optional[dict] = None
        self.clear()

    # ------------------------------------------------------------------
    # contents
    def clear(self) -> None:
        """Drop every image; the next :meth:`add` fixes shape and labels
        anew."""
        self._images: Optional[torch.Tensor] = None  # (capacity, C, H, W)
        self._labels: Optional[torch.Tensor] = None  # (capacity, )
        self._start = 0  # physical index of the oldest image
        self._count = 0
        self._image_shape: Optional[Tuple[int, int, int]] = None
        self._has_labels: Optional[bool] = None
        self._device: Optional[torch.device] = self._device_arg

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        # A module is always truthy; use len() to test for emptiness.
        return True

    @property
    def image_shape(self) -> Optional[Tuple[int, int, int]]:
        """(C, H, W) of the images, None before the first :meth:`add`."""
        return self._image_shape

    @property
    def has_labels(self) -> Optional[bool]:
        """Whether the pool keeps labels; None before the first add."""
        return self._has_labels

    @property
    def device(self) -> Optional[torch.device]:
        """Where the images are kept (None until known)."""
        return self._device

    @property
    def capacity(self) -> int:
        """Images the current buffer holds before it grows."""
        return 0 if self._images is None else self._images.shape[0]

    def extra_repr(self) -> str:
        return (f'size={self._count}, max_size={self.max_size}, '
                f'image_shape={self._image_shape}, '
                f'store_dtype={self.store_dtype}, device={self._device}, '
                f'labels={self._has_labels}')

    def _check_batch(
        self, images: torch.Tensor, labels: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        if not isinstance(images, torch.Tensor) or images.dim() != 4:
            raise ValueError(
                'images must be an N×C×H×W tensor, got '
                + (f'shape {tuple(images.shape)}' if isinstance(
                    images, torch.Tensor) else type(images).__name__))
        if images.dtype == torch.bool or images.is_complex():
            raise ValueError(
                f'images must be real numbers, got {images.dtype}')
        shape = tuple(int(s) for s in images.shape[1:])
        if self._image_shape is not None and shape != self._image_shape:
            raise ValueError(
                f'image shape mismatch: the pool holds C×H×W '
                f'{self._image_shape}, the batch is {shape}')
        has_labels = labels is not None
        if self._has_labels is not None and has_labels != self._has_labels:
            if self._has_labels:
                raise ValueError('label mismatch: the pool holds labels, '
                                 'this batch has none')
            raise ValueError('label mismatch: the pool holds no labels, '
                             'this batch has some')
        if has_labels:
            if not isinstance(labels, torch.Tensor):
                raise ValueError('labels must be a tensor, got '
                                 f'{type(labels).__name__}')
            if labels.is_floating_point() or labels.is_complex() \
                    or labels.dtype == torch.bool:
                raise ValueError(
                    f'labels must be integers, got {labels.dtype}')
            if labels.dim() != 1 or labels.shape[0] != images.shape[0]:
                raise ValueError(
                    f'labels must have shape ({images.shape[0]},) to match '
                    f'the images, got {tuple(labels.shape)}')
            labels = labels.detach()
        images = images.detach()
        if images.is_floating_point() and images.numel():
            # one host sync per add (adds are rare: once per round)
            finite, amax = (torch.isfinite(images).all(),
                            images.abs().amax())
            if not bool(finite):
                raise ValueError('images hold NaN or infinite values; '
                                 'refusing to add them to the pool')
            if self._dtype == torch.float16 and float(amax) > FLOAT16_MAX:
                raise ValueError(
                    f'images reach |{float(amax):g}|, beyond float16 '
                    f'(±{FLOAT16_MAX:g}); use store_dtype=\'float32\'')
        return images, labels

    def _grow(self, needed: int) -> None:
        """Make the buffer hold ``needed`` images if it may (doubling,
        capped at max_size), keeping the current ones in order."""
        cap = self.capacity
        new_cap = max(needed, 2 * cap)
        if self.max_size is not None:
            new_cap = min(new_cap, self.max_size)
        if needed <= cap or new_cap <= cap:
            return
        images = torch.empty((new_cap, ) + self._image_shape,
                             dtype=self._dtype, device=self._device)
        labels = (torch.empty(new_cap, dtype=torch.int64,
                              device=self._device)
                  if self._has_labels else None)
        if self._count:
            old_images, old_labels = self._ordered()
            images[:self._count] = old_images
            if labels is not None:
                labels[:self._count] = old_labels
        self._images, self._labels, self._start = images, labels, 0

    def _physical(self, logical: torch.Tensor) -> torch.Tensor:
        """Buffer rows of logical positions (0 = oldest)."""
        return (logical + self._start) % self.capacity

    def _ordered(self, copy: bool = False
                 ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The images/labels, oldest first: views where they are in one
        piece unless ``copy``, else compact copies."""
        cap, start, count = self.capacity, self._start, self._count
        if start + count <= cap:
            sel = slice(start, start + count)
            images = self._images[sel]
            labels = None if self._labels is None else self._labels[sel]
            if copy:
                images = images.clone()
                labels = None if labels is None else labels.clone()
            return images, labels
        idx = self._physical(torch.arange(count, device=self._device))
        return (self._images.index_select(0, idx),
                None if self._labels is None else
                self._labels.index_select(0, idx))

    def add(self,
            images: torch.Tensor,
            labels: Optional[torch.Tensor] = None) -> None:
        """Append a batch (detached, copied into the pool's buffer).

        Args:
            images (Tensor): N×C×H×W, pixel space, finite values.
            labels (Tensor, optional): (N,) integer labels. Either every
                batch of a pool has labels or none has.

        Raises:
            ValueError: On a C×H×W or label presence that differs from the
                pool's, malformed labels, or non-finite images.
        """
        images, labels = self._check_batch(images, labels)
        if self._image_shape is None:
            self._image_shape = tuple(int(s) for s in images.shape[1:])
            self._has_labels = labels is not None
        if self._device is None:
            self._device = images.device
        n = images.shape[0]
        if n == 0:
            return
        if self.max_size is not None and n > self.max_size:
            # only the newest max_size of the batch would survive
            images = images[n - self.max_size:]
            labels = None if labels is None else labels[n - self.max_size:]
            n = self.max_size
        self._grow(self._count + n)
        cap = self.capacity
        pos = (self._start + self._count) % cap
        overflow = max(0, self._count + n - cap)  # only when cap == max_size
        first = min(n, cap - pos)
        with torch.no_grad():
            self._images[pos:pos + first].copy_(images[:first])
            self._images[:n - first].copy_(images[first:])
            if labels is not None:
                self._labels[pos:pos + first].copy_(labels[:first])
                self._labels[:n - first].copy_(labels[first:])
        self._start = (self._start + overflow) % cap
        self._count += n - overflow

    def sample(
        self,
        n: int,
        generator: Optional[torch.Generator] = None,
        device: Optional[Union[str, torch.device]] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Draw ``n`` images uniformly, with replacement.

        Args:
            n (int): Batch size.
            generator (torch.Generator, optional): Source of randomness
                (any device: the indices move to the pool's device).
                Defaults to None (torch's default generator of the pool's
                device).
            device (str, optional): Move the batch there (e.g. the GPU for
                a pool kept on the CPU). Defaults to the pool's device.

        Returns:
            tuple: ``(images, labels)``: float32 n×C×H×W (new tensors, not
            views of the pool) and int64 (n,) or None.
        """
        if self._count == 0:
            raise RuntimeError('cannot sample from an empty pool')
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f'n must be a non-negative int, got {n!r}')
        draw_on = generator.device if generator is not None else self._device
        idx = torch.randint(self._count, (n, ), generator=generator,
                            device=draw_on).to(self._device)
        idx = self._physical(idx)
        images = self._images.index_select(0, idx).float()
        labels = (None if self._labels is None else
                  self._labels.index_select(0, idx))
        if device is not None:
            images = images.to(device)
            labels = None if labels is None else labels.to(device)
        return images, labels

    def class_counts(self, num_classes: int) -> torch.Tensor:
        """How many of the pool's images carry each label.

        Args:
            num_classes (int): Length of the result.

        Returns:
            Tensor: int64 (num_classes,) on the pool's device (the CPU
            for an empty or unlabelled pool: zeros).
        """
        if self._count == 0 or self._labels is None:
            return torch.zeros(num_classes, dtype=torch.long)
        _, labels = self._ordered()
        return torch.bincount(labels.long(), minlength=num_classes)

    def tensors(self) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Copies of all images (store dtype) and labels, oldest first.

        Returns:
            tuple: ``(images, labels or None)``; empty pool: ``(None,
            None)``.
        """
        if self._count == 0:
            return None, None
        return self._ordered(copy=True)

    # ------------------------------------------------------------------
    # state_dict
    def get_extra_state(self) -> torch.Tensor:
        """The pool as a dict of tensors, ints and strings, packed into one
        byte tensor (see :mod:`mmdfkd.utils.packed_state`).

        The tensors are compact copies (oldest first, store dtype): saving
        them does not save the buffer's spare capacity.
        """
        state: Dict[str, Any] = dict(
            format=POOL_FORMAT,
            version=POOL_VERSION,
            num_images=self._count,
            dtype=self.store_dtype,
            has_labels=-1 if self._has_labels is None else int(
                self._has_labels))
        if self._image_shape is not None:
            state['image_shape'] = list(self._image_shape)
        if self._count:
            images, labels = self.tensors()
            state['images'] = images
            if labels is not None:
                state['labels'] = labels
        return pack_state(state)

    def set_extra_state(self, state: torch.Tensor) -> None:
        """Restore what :meth:`get_extra_state` returned.

        The pool keeps its own ``max_size`` (the newest images survive if
        the saved pool was larger) and ``store_dtype``. The images go to
        the pool's configured or current device, else where the state's
        tensors were loaded.
        """
        if isinstance(state, torch.Tensor):
            state = unpack_state(state)
        if not isinstance(state, dict) or state.get('format') != POOL_FORMAT:
            raise ValueError('not a SyntheticPool state: expected a dict '
                             f"with format={POOL_FORMAT!r}")
        if state.get('version', 0) > POOL_VERSION:
            raise ValueError(
                f"pool state version {state['version']} is newer than this "
                f'mmdfkd reads ({POOL_VERSION})')
        device = self._device
        self.clear()
        self._device = device
        num = int(state.get('num_images', 0))
        if num == 0:
            if 'image_shape' in state:
                self._image_shape = tuple(int(s) for s in state['image_shape'])
            if state.get('has_labels', -1) != -1:
                self._has_labels = bool(state['has_labels'])
            return
        images = state['images']
        labels = state.get('labels')
        if images.shape[0] != num or (labels is not None
                                      and labels.shape[0] != num):
            raise ValueError(f'pool state says {num} images but holds '
                             f'{images.shape[0]}')
        self.add(images, labels)

    # ------------------------------------------------------------------
    # folder format
    def save(self,
             out_dir: Union[str, os.PathLike],
             fingerprint: dict,
             shard_size: int = 4096) -> dict:
        """Export the pool to a folder (format: ``docs/pool_format.md``).

        Shards ``shard_00000.pt``, ... hold ``{'images', 'labels'}`` as
        stored (float32/float16 CPU tensors, oldest first); ``meta.json``
        is written last, atomically, with each shard's count and sha256
        and ``fingerprint``. An existing ``meta.json`` in ``out_dir`` is
        removed first and stale shards after, so an interrupted export
        never looks complete. Call it on one process only (rank 0).

        Args:
            out_dir: Folder, created if missing.
            fingerprint (dict): JSON-serialisable description of what made
                the pool (teacher config, teacher checkpoint sha256, image
                size, ``pixel_range`` ...), checked by :meth:`load`.
            shard_size (int): Images per shard. Defaults to 4096.

        Returns:
            dict: The meta written to ``meta.json``.
        """
        if isinstance(shard_size, bool) or not isinstance(
                shard_size, int) or shard_size < 1:
            raise ValueError(
                f'shard_size must be a positive int, got {shard_size!r}')
        if not isinstance(fingerprint, dict):
            raise ValueError('fingerprint must be a dict, got '
                             f'{type(fingerprint).__name__}')
        fingerprint = _json_normalise(fingerprint, 'fingerprint')
        out_dir = os.fspath(out_dir)
        os.makedirs(out_dir, exist_ok=True)
        meta_path = osp.join(out_dir, META_FILE)
        if osp.lexists(meta_path):
            os.remove(meta_path)  # the folder is incomplete from now on
            _fsync_dir(out_dir)

        shards: List[dict] = []
        for index, first in enumerate(range(0, self._count, shard_size)):
            count = min(shard_size, self._count - first)
            rows = self._physical(
                torch.arange(first, first + count, device=self._device))
            # index_select: a compact copy, so the shard holds only its rows
            obj = dict(images=self._images.index_select(0, rows).cpu())
            if self._labels is not None:
                obj['labels'] = self._labels.index_select(0, rows).cpu()
            buf = io.BytesIO()
            torch.save(obj, buf)
            data = buf.getvalue()
            name = _shard_name(index)
            with open(osp.join(out_dir, name), 'wb') as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            shards.append(
                dict(file=name, count=count,
                     sha256=hashlib.sha256(data).hexdigest()))
        keep = {s['file'] for s in shards}
        for name in os.listdir(out_dir):
            if SHARD_PATTERN.match(name) and name not in keep:
                os.remove(osp.join(out_dir, name))

        from mmdfkd.version import __version__
        meta = dict(
            format=POOL_FORMAT,
            version=POOL_VERSION,
            num_images=self._count,
            image_shape=(None if self._image_shape is None else list(
                self._image_shape)),
            dtype=self.store_dtype,
            has_labels=bool(self._has_labels),
            fingerprint=fingerprint,
            shards=shards,
            created=time.strftime('%Y-%m-%dT%H:%M:%S%z'),
            mmdfkd_version=__version__)
        if 'pixel_range' in fingerprint:
            meta['pixel_range'] = fingerprint['pixel_range']
        tmp = osp.join(out_dir, f'.{META_FILE}.tmp-{os.getpid()}')
        with open(tmp, 'w') as f:
            json.dump(meta, f, indent=2)
            f.write('\n')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, meta_path)
        _fsync_dir(out_dir)
        return meta

    @staticmethod
    def read_meta(out_dir: Union[str, os.PathLike]) -> dict:
        """Read and check a pool folder's ``meta.json`` (no shard is read).

        Raises:
            FileNotFoundError: If ``out_dir`` does not exist.
            PoolFormatError: If ``meta.json`` is missing (an interrupted
                export) or is not a pool's.
        """
        out_dir = os.fspath(out_dir)
        if not osp.isdir(out_dir):
            raise FileNotFoundError(f'no pool folder at {out_dir}')
        meta_path = osp.join(out_dir, META_FILE)
        if not osp.isfile(meta_path):
            raise PoolFormatError(
                f'incomplete pool: no {META_FILE} in {out_dir}; the export '
                f'was interrupted ({META_FILE} is written last) or this is '
                'not a pool folder')
        try:
            with open(meta_path) as f:
                meta = json.load(f)
        except (OSError, ValueError) as err:
            raise PoolFormatError(f'unreadable {meta_path}: {err}') from err
        if not isinstance(meta, dict) or meta.get('format') != POOL_FORMAT:
            raise PoolFormatError(
                f'{meta_path} is not an {POOL_FORMAT} meta file')
        version = meta.get('version')
        if not isinstance(version, int) or version > POOL_VERSION:
            raise PoolFormatError(
                f'{meta_path} has format version {version!r}; this mmdfkd '
                f'reads versions up to {POOL_VERSION}')
        missing = [
            k for k in ('num_images', 'image_shape', 'dtype', 'has_labels',
                        'fingerprint', 'shards') if k not in meta
        ]
        if missing or meta['dtype'] not in _DTYPES:
            raise PoolFormatError(f'{meta_path} is malformed (missing '
                                  f'{missing}, dtype {meta.get("dtype")!r})')
        return meta

    @staticmethod
    def check_fingerprint(meta: dict, expected: dict, where: str = '') -> None:
        """Refuse a pool whose fingerprint differs from ``expected``.

        Every key of ``expected`` must be in the pool's fingerprint with an
        equal value (compared as JSON: tuples equal lists).

        Raises:
            PoolFingerprintError: Naming each differing key, the pool's
                value and the expected one.
        """
        expected = _json_normalise(expected, 'expected fingerprint')
        actual = meta.get('fingerprint') or {}
        problems = []
        for key, want in expected.items():
            if key not in actual:
                problems.append(
                    f'{key!r}: the pool records none, expected {want!r} '
                    '(cannot check: refused)')
            elif actual[key] != want:
                problems.append(
                    f'{key!r}: the pool has {actual[key]!r}, expected '
                    f'{want!r} ({_mismatch_hint(key)})')
        if problems:
            raise PoolFingerprintError(
                f'pool {where} does not match the expected fingerprint: '
                + '; '.join(problems))

    @classmethod
    def load(cls,
             out_dir: Union[str, os.PathLike],
             expected: Optional[dict] = None,
             map_location: Union[str, torch.device] = 'cpu'
             ) -> 'SyntheticPool':
        """Load and verify a folder written by :meth:`save`.

        Checks, before any image is used: ``meta.json`` present; the
        fingerprint against ``expected`` (before reading shards); every
        shard present, with its recorded sha256 (before unpickling it,
        with ``weights_only=True``), count, shape and dtype.

        Args:
            out_dir: The pool folder.
            expected (dict, optional): Fingerprint entries that must match.
            map_location: Device of the loaded pool. Defaults to 'cpu'.

        Returns:
            SyntheticPool: Unbounded, the saved ``store_dtype``, images in
            saved order; ``pool.meta`` holds ``meta.json``.

        Raises:
            FileNotFoundError: If ``out_dir`` does not exist.
            PoolFormatError: Incomplete or corrupt pool (names the shard).
            PoolFingerprintError: Fingerprint mismatch.
        """
        out_dir = os.fspath(out_dir)
        meta = cls.read_meta(out_dir)
        if expected is not None:
            cls.check_fingerprint(meta, expected, out_dir)
        device = torch.device(map_location)
        pool = cls(store_dtype=meta['dtype'], device=device)
        pool.meta = meta
        num = int(meta['num_images'])
        shards = meta['shards']
        if sum(int(s['count']) for s in shards) != num:
            raise PoolFormatError(
                f'{out_dir}/{META_FILE}: shard counts do not add up to '
                f'num_images={num}')
        shape = meta['image_shape']
        if shape is not None:
            if not (isinstance(shape, list) and len(shape) == 3
                    and all(isinstance(s, int) and s > 0 for s in shape)):
                raise PoolFormatError(f'{out_dir}/{META_FILE}: image_shape '
                                      f'must be [C, H, W], got {shape!r}')
            pool._image_shape = tuple(shape)
            pool._has_labels = bool(meta['has_labels'])
        elif num:
            raise PoolFormatError(f'{out_dir}/{META_FILE}: {num} images '
                                  'but no image_shape')
        if num == 0:
            return pool
        shape = pool._image_shape
        images = torch.empty((num, ) + shape, dtype=pool._dtype,
                             device=device)
        labels = (torch.empty(num, dtype=torch.int64, device=device)
                  if pool._has_labels else None)
        first = 0
        for shard in shards:
            name, count = shard['file'], int(shard['count'])
            path = osp.join(out_dir, name)
            if not osp.isfile(path):
                raise PoolFormatError(
                    f'incomplete pool {out_dir}: shard {name} is missing '
                    f'({count} images)')
            sha = file_sha256(path)
            if sha != shard['sha256']:
                raise PoolFormatError(
                    f'corrupt pool {out_dir}: shard {name} has sha256 {sha}, '
                    f"{META_FILE} records {shard['sha256']} (the file was "
                    'truncated or modified after the export)')
            try:
                obj = torch.load(path, map_location=device,
                                 weights_only=True)
            except Exception as err:  # sha matched: a format problem
                raise PoolFormatError(
                    f'shard {name} of {out_dir} could not be loaded '
                    f'(weights_only=True): {err}') from err
            shard_images = obj.get('images') if isinstance(obj, dict) else None
            shard_labels = obj.get('labels') if isinstance(obj, dict) else None
            if (not isinstance(shard_images, torch.Tensor)
                    or tuple(shard_images.shape) != (count, ) + shape
                    or shard_images.dtype != pool._dtype):
                raise PoolFormatError(
                    f'shard {name} of {out_dir} does not hold {count} '
                    f"{meta['dtype']} images of shape {shape}")
            if (shard_labels is not None) != bool(pool._has_labels) or (
                    shard_labels is not None
                    and (tuple(shard_labels.shape) != (count, )
                         or shard_labels.dtype != torch.int64)):
                raise PoolFormatError(
                    f'shard {name} of {out_dir}: labels do not match '
                    f"{META_FILE} (has_labels={meta['has_labels']}, "
                    f'count={count})')
            images[first:first + count] = shard_images
            if labels is not None:
                labels[first:first + count] = shard_labels
            first += count
        pool._images, pool._labels, pool._count = images, labels, num
        return pool
