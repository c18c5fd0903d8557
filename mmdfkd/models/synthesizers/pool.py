"""A pool of synthesized images for pool-based data-free methods.

DeepInversion, CMI and Fast DFKD synthesize batches in rounds, keep them
and train the student on batches drawn from everything synthesized so far.
:class:`SyntheticPool` is that store: images in pixel space (the space of
real images before a data preprocessor normalises them), optionally with
the teacher's labels, kept on one device, appended in amortised O(batch)
time and sampled with torch ops only. It travels in its owning
synthesizer's ``state_dict`` (``get_extra_state``) and exports to / loads
from the verified folder format of :mod:`mmdfkd.utils.pool_format`
(``docs/pool_format.md``).
"""
import os
from typing import Any, Dict, Iterator, Optional, Tuple, Union

import torch

from mmdfkd.utils.packed_state import pack_state, unpack_state
from mmdfkd.utils.pool_format import (DTYPES, POOL_FORMAT, POOL_VERSION,
                                      read_pool, write_pool)
from .base_pool import BasePool

__all__ = ['SyntheticPool']

FLOAT16_MAX = 65504.0
#: What the in-memory pool stores images as.
STORE_DTYPES = ('float32', 'float16')


class SyntheticPool(BasePool):
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
        if store_dtype not in STORE_DTYPES:
            raise ValueError(f'store_dtype must be one of {STORE_DTYPES}, '
                             f'got {store_dtype!r}')
        self.max_size = max_size
        self.store_dtype = store_dtype
        self._dtype = DTYPES[store_dtype]
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
        images, labels = super()._check_batch(images, labels)
        if self._dtype == torch.float16 and images.is_floating_point() \
                and images.numel():
            amax = float(images.abs().amax())
            if amax > FLOAT16_MAX:
                raise ValueError(
                    f'images reach |{amax:g}|, beyond float16 '
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

    def check_writable(self) -> None:
        """Nothing to check for a pool in memory (:class:`DiskPool`
        checks its folder)."""

    def subset(self, max_images: int, seed: int = 0) -> torch.Tensor:
        """Up to ``max_images`` distinct images (float32), drawn without
        replacement from the whole pool with a private generator seeded
        with ``seed``."""
        if self._count == 0:
            raise RuntimeError('cannot draw from an empty pool')
        gen = torch.Generator().manual_seed(seed)
        pick = torch.randperm(self._count, generator=gen)[:max_images]
        rows = self._physical(pick.to(self._device))
        return self._images.index_select(0, rows).float()

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
        if isinstance(state, dict) and state.get('format') == \
                'mmdfkd-disk-pool':
            raise ValueError(
                "the checkpoint's pool is a DiskPool (a list of shards on "
                'disk), this model keeps an in-memory pool: resume with '
                "model.synthesizer.pool.type='DiskPool', as the run that "
                'wrote it')
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
    def _shards(self, shard_size: int
                ) -> Iterator[Tuple[torch.Tensor, Optional[torch.Tensor]]]:
        """Compact CPU copies of ``shard_size`` images at a time, oldest
        first (``index_select``: a shard holds only its rows)."""
        for first in range(0, self._count, shard_size):
            count = min(shard_size, self._count - first)
            rows = self._physical(
                torch.arange(first, first + count, device=self._device))
            yield (self._images.index_select(0, rows).cpu(),
                   None if self._labels is None else
                   self._labels.index_select(0, rows).cpu())

    def save(self,
             out_dir: Union[str, os.PathLike],
             fingerprint: dict,
             shard_size: int = 4096) -> dict:
        """Export the pool to a folder (:func:`~mmdfkd.utils.pool_format.
        write_pool`, format: ``docs/pool_format.md``). Call it on one
        process only (rank 0).

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
        return write_pool(out_dir, self._shards(shard_size),
                          self._image_shape, self.store_dtype,
                          bool(self._has_labels), fingerprint)

    @classmethod
    def load(cls,
             out_dir: Union[str, os.PathLike],
             expected: Optional[dict] = None,
             map_location: Union[str, torch.device] = 'cpu'
             ) -> 'SyntheticPool':
        """Load and verify a folder written by :meth:`save`
        (:func:`~mmdfkd.utils.pool_format.read_pool`).

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
        images, labels, meta = read_pool(out_dir, expected, map_location)
        # uint8 shards (a DiskPool's) come back dequantised, as float32
        pool = cls(store_dtype='float32' if meta['dtype'] == 'uint8' else
                   meta['dtype'],
                   device=torch.device(map_location))
        pool.meta = meta
        if meta['image_shape'] is not None:
            pool._image_shape = tuple(meta['image_shape'])
            pool._has_labels = bool(meta['has_labels'])
        if images is not None:
            pool._images, pool._labels = images, labels
            pool._count = images.shape[0]
        return pool
