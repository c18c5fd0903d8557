"""The verified on-disk format of a synthetic pool (``docs/pool_format.md``).

A pool folder holds shards ``shard_00000.pt``, ... (``{'images',
'labels'}``, CPU tensors, oldest first) and ``meta.json``, written last and
atomically, with each shard's count and sha256 and a fingerprint of what
made the pool. :func:`write_pool` writes it, :func:`read_pool` reads and
verifies it (fingerprint before any shard, each shard's sha256 before it is
unpickled with ``weights_only=True``).

It knows nothing of models or datasets: the in-memory pool
(:class:`mmdfkd.models.synthesizers.SyntheticPool`), the dataset
(:class:`mmdfkd.datasets.SyntheticPoolDataset`) and the tools
(``tools/synthesize.py``, ``tools/quantize.py``) all read and write through
it.
"""
import hashlib
import io
import json
import os
import os.path as osp
import re
import time
from typing import (Any, Iterable, List, Optional, Sequence, Tuple,
                    Union)

import torch

__all__ = [
    'DTYPES', 'META_FILE', 'POOL_FORMAT', 'POOL_VERSION',
    'PoolFingerprintError', 'PoolFormatError', 'check_fingerprint',
    'dequantize', 'file_sha256', 'load_shard', 'quantize', 'read_meta',
    'read_pool', 'shard_name', 'write_meta', 'write_pool', 'write_shard'
]

POOL_FORMAT = 'mmdfkd-pool'
POOL_VERSION = 1
META_FILE = 'meta.json'
SHARD_PATTERN = re.compile(r'^shard_\d{5,}\.pt$')
#: Storage dtypes by name. ``uint8`` shards hold pixels quantised to 256
#: levels of the pool's ``pixel_range`` (:func:`quantize`).
DTYPES = {
    'float32': torch.float32,
    'float16': torch.float16,
    'uint8': torch.uint8
}

Path = Union[str, os.PathLike]


class PoolFormatError(ValueError):
    """A pool folder is incomplete, corrupt or not a pool at all."""


class PoolFingerprintError(PoolFormatError):
    """A pool was synthesized under other settings than those expected."""


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
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


def shard_name(index: int) -> str:
    """File name of shard ``index`` (``shard_00000.pt``, ...)."""
    return f'shard_{index:05d}.pt'


def quantize(images: torch.Tensor,
             pixel_range: Sequence[float]) -> torch.Tensor:
    """Pixel-space images as uint8: ``low..high`` mapped linearly to
    0..255 and rounded to nearest (values outside the range are clipped).

    :func:`dequantize` gives each value back within
    ``0.5 / 255 * (high - low)`` (0..255 pixels: within 0.5).
    """
    low, high = (float(v) for v in pixel_range)
    scaled = (images.detach().float() - low) * (255.0 / (high - low))
    return scaled.round_().clamp_(0, 255).to(torch.uint8)


def dequantize(images: torch.Tensor,
               pixel_range: Sequence[float]) -> torch.Tensor:
    """float32 pixel-space images of uint8 ones (:func:`quantize`)."""
    low, high = (float(v) for v in pixel_range)
    out = images * ((high - low) / 255.0)  # one pass: uint8 -> float32
    return out.add_(low) if low else out


def write_shard(path: Path, images: torch.Tensor,
                labels: Optional[torch.Tensor]) -> Tuple[int, str]:
    """Write one shard (``torch.save({'images', 'labels'})``, fsynced).

    Returns:
        tuple: ``(bytes written, sha256 hex digest)``.
    """
    obj = dict(images=images)
    if labels is not None:
        obj['labels'] = labels
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    with open(path, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return len(data), hashlib.sha256(data).hexdigest()


def write_meta(out_dir: Path, meta: dict) -> None:
    """Write ``meta.json`` atomically (a temporary file, then
    ``os.replace``)."""
    out_dir = os.fspath(out_dir)
    tmp = osp.join(out_dir, f'.{META_FILE}.tmp-{os.getpid()}')
    with open(tmp, 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, osp.join(out_dir, META_FILE))
    _fsync_dir(out_dir)


def json_normalise(obj: Any, what: str) -> Any:
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


def write_pool(out_dir: Path,
               shards: Iterable[Tuple[torch.Tensor, Optional[torch.Tensor]]],
               image_shape: Optional[Sequence[int]],
               dtype: str,
               has_labels: bool,
               fingerprint: dict) -> dict:
    """Write a pool folder.

    An existing ``meta.json`` in ``out_dir`` is removed first and stale
    shards after, so an interrupted export never looks complete. Call it on
    one process only (rank 0).

    Args:
        out_dir: Folder, created if missing.
        shards: ``(images, labels or None)`` per shard, oldest first, CPU
            tensors of ``dtype`` (compact: a shard holds only its rows).
        image_shape: (C, H, W), or None for an empty pool that never held
            an image.
        dtype (str): ``'float32'`` or ``'float16'``.
        has_labels (bool): Whether the shards carry labels.
        fingerprint (dict): JSON-serialisable description of what made the
            pool (teacher checkpoint sha256, image shape, ``pixel_range``
            ...), checked by :func:`read_pool`.

    Returns:
        dict: The meta written to ``meta.json``.
    """
    if not isinstance(fingerprint, dict):
        raise ValueError('fingerprint must be a dict, got '
                         f'{type(fingerprint).__name__}')
    fingerprint = json_normalise(fingerprint, 'fingerprint')
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    meta_path = osp.join(out_dir, META_FILE)
    if osp.lexists(meta_path):
        os.remove(meta_path)  # the folder is incomplete from now on
        _fsync_dir(out_dir)

    written: List[dict] = []
    for index, (images, labels) in enumerate(shards):
        name = shard_name(index)
        _, sha = write_shard(osp.join(out_dir, name), images, labels)
        written.append(dict(file=name, count=int(images.shape[0]),
                            sha256=sha))
    keep = {s['file'] for s in written}
    for name in os.listdir(out_dir):
        if SHARD_PATTERN.match(name) and name not in keep:
            os.remove(osp.join(out_dir, name))

    from mmdfkd.version import __version__
    meta = dict(
        format=POOL_FORMAT,
        version=POOL_VERSION,
        num_images=sum(s['count'] for s in written),
        image_shape=None if image_shape is None else list(image_shape),
        dtype=dtype,
        has_labels=bool(has_labels),
        fingerprint=fingerprint,
        shards=written,
        created=time.strftime('%Y-%m-%dT%H:%M:%S%z'),
        mmdfkd_version=__version__)
    if 'pixel_range' in fingerprint:
        meta['pixel_range'] = fingerprint['pixel_range']
    write_meta(out_dir, meta)
    return meta


def read_meta(out_dir: Path) -> dict:
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
    if missing or meta['dtype'] not in DTYPES:
        raise PoolFormatError(f'{meta_path} is malformed (missing '
                              f'{missing}, dtype {meta.get("dtype")!r})')
    if meta['dtype'] == 'uint8':
        rng = meta.get('pixel_range')
        if not (isinstance(rng, list) and len(rng) == 2
                and all(isinstance(v, (int, float)) for v in rng)
                and rng[1] > rng[0]):
            raise PoolFormatError(
                f'{meta_path}: uint8 shards need pixel_range [low, high] '
                f'(low < high) to be decoded, got {rng!r}')
    return meta


def check_fingerprint(meta: dict, expected: dict, where: str = '') -> None:
    """Refuse a pool whose fingerprint differs from ``expected``.

    Every key of ``expected`` must be in the pool's fingerprint with an
    equal value (compared as JSON: tuples equal lists).

    Raises:
        PoolFingerprintError: Naming each differing key, the pool's value
            and the expected one.
    """
    expected = json_normalise(expected, 'expected fingerprint')
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


def read_pool(out_dir: Path,
              expected: Optional[dict] = None,
              map_location: Union[str, torch.device] = 'cpu'
              ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor],
                         dict]:
    """Load and verify a folder written by :func:`write_pool`.

    Checks, before any image is used: ``meta.json`` present; the
    fingerprint against ``expected`` (before reading shards); every shard
    present, with its recorded sha256 (before unpickling it, with
    ``weights_only=True``), count, shape and dtype.

    Args:
        out_dir: The pool folder.
        expected (dict, optional): Fingerprint entries that must match.
        map_location: Device of the loaded tensors. Defaults to 'cpu'.

    Returns:
        tuple: ``(images, labels, meta)``: N×C×H×W images in the stored
        dtype (``uint8`` shards: float32, dequantised to ``pixel_range``;
        None for an empty pool), int64 labels or None, and the contents
        of ``meta.json``.

    Raises:
        FileNotFoundError: If ``out_dir`` does not exist.
        PoolFormatError: Incomplete or corrupt pool (names the shard).
        PoolFingerprintError: Fingerprint mismatch.
    """
    out_dir = os.fspath(out_dir)
    meta = read_meta(out_dir)
    if expected is not None:
        check_fingerprint(meta, expected, out_dir)
    device = torch.device(map_location)
    dtype = DTYPES[meta['dtype']]
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
        shape = tuple(shape)
    elif num:
        raise PoolFormatError(f'{out_dir}/{META_FILE}: {num} images '
                              'but no image_shape')
    if num == 0:
        return None, None, meta
    has_labels = bool(meta['has_labels'])
    images = torch.empty((num, ) + shape,
                         dtype=torch.float32 if dtype == torch.uint8 else
                         dtype, device=device)
    labels = (torch.empty(num, dtype=torch.int64, device=device)
              if has_labels else None)
    first = 0
    for shard in shards:
        count = int(shard['count'])
        shard_images, shard_labels = load_shard(
            out_dir, shard, shape, meta['dtype'], has_labels, device)
        images[first:first + count] = (
            dequantize(shard_images, meta['pixel_range'])
            if dtype == torch.uint8 else shard_images)
        if labels is not None:
            labels[first:first + count] = shard_labels
        first += count
    return images, labels, meta


def load_shard(out_dir: Path,
               shard: dict,
               shape: Tuple[int, ...],
               dtype: str,
               has_labels: bool,
               map_location: Union[str, torch.device] = 'cpu',
               check_sha256: bool = True
               ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Load one shard of a pool folder as stored, verified.

    Args:
        out_dir: The folder ``shard['file']`` is relative to.
        shard (dict): Its entry: ``file``, ``count``, ``sha256``.
        shape (tuple): (C, H, W) of the images.
        dtype (str): The stored dtype's name.
        has_labels (bool): Whether the shard must hold labels.
        map_location: Device of the tensors. Defaults to 'cpu'.
        check_sha256 (bool): Hash the file before unpickling it (False for
            a shard this process verified or wrote). Defaults to True.

    Returns:
        tuple: ``(images, labels or None)`` in the stored dtype.

    Raises:
        PoolFormatError: Missing, modified or malformed shard (named).
    """
    out_dir = os.fspath(out_dir)
    name, count = shard['file'], int(shard['count'])
    path = osp.join(out_dir, name)
    if not osp.isfile(path):
        raise PoolFormatError(
            f'incomplete pool {out_dir}: shard {name} is missing '
            f'({count} images)')
    if check_sha256:
        sha = file_sha256(path)
        if sha != shard['sha256']:
            raise PoolFormatError(
                f'corrupt pool {out_dir}: shard {name} has sha256 {sha}, '
                f"{META_FILE} records {shard['sha256']} (the file was "
                'truncated or modified after the export)')
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # sha matched: a format problem
        raise PoolFormatError(
            f'shard {name} of {out_dir} could not be loaded '
            f'(weights_only=True): {err}') from err
    images = obj.get('images') if isinstance(obj, dict) else None
    labels = obj.get('labels') if isinstance(obj, dict) else None
    if (not isinstance(images, torch.Tensor)
            or tuple(images.shape) != (count, ) + tuple(shape)
            or images.dtype != DTYPES[dtype]):
        raise PoolFormatError(
            f'shard {name} of {out_dir} does not hold {count} '
            f'{dtype} images of shape {tuple(shape)}')
    if (labels is not None) != has_labels or (
            labels is not None and (tuple(labels.shape) != (count, )
                                    or labels.dtype != torch.int64)):
        raise PoolFormatError(
            f'shard {name} of {out_dir}: labels do not match '
            f'{META_FILE} (has_labels={has_labels}, count={count})')
    return images, labels
