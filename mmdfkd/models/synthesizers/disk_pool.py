"""A synthetic pool kept on disk as uint8 shards, read back with bounded
memory (``docs/pool_format.md``).

At 224×224 an in-memory float pool costs ~0.6 MB an image and goes whole
into every checkpoint. :class:`DiskPool` writes each added batch as shards
of the verified folder format (:mod:`mmdfkd.utils.pool_format`, ``uint8``
dtype), keeps only a bounded window of decoded shards in memory and puts
the shard list with sizes and sha256 into checkpoints, never the images.
Under N processes every rank writes its own folder ``rank_<r>/`` and
every rank samples the union of all ranks' shards.
"""
import os
import os.path as osp
import time
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.logging import print_log

from mmdfkd.registry import MODELS
from mmdfkd.utils.packed_state import pack_state, unpack_state
from mmdfkd.utils.pool_format import (POOL_FORMAT, POOL_VERSION,
                                      SHARD_PATTERN, PoolFormatError,
                                      dequantize, file_sha256, load_shard,
                                      quantize, shard_name, write_meta,
                                      write_shard)
from .base_pool import BasePool

__all__ = ['DiskPool']

STATE_FORMAT = 'mmdfkd-disk-pool'
STATE_VERSION = 1
#: What to do about a missing or modified shard at resume.
RESUME_FIX = ('Shards are part of the run: restore the file (e.g. from a '
              'copy of the work dir), or start a new run in another '
              '--work-dir; this checkpoint cannot be resumed without it.')


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'{name} must be a positive int, got {value!r}')
    return value


@MODELS.register_module()
class DiskPool(BasePool):
    """A pool of synthesized images stored on disk as uint8 shards.

    The interface of :class:`~mmdfkd.models.synthesizers.SyntheticPool`
    (``add``, ``sample``, ``len``, ``class_counts``, ``subset``,
    ``tensors``, ``get_extra_state`` / ``set_extra_state``). Each
    :meth:`add` quantises the batch to uint8 (``pixel_range`` mapped to
    0..255, rounded: a pixel comes back within ``0.5 / 255 * (high -
    low)``, values outside the range clipped) and writes it as shards of
    at most ``shard_size`` images into ``<root>/rank_<r>/`` (fsynced, with
    the rank's ``meta.json`` rewritten atomically after each batch: every
    rank folder is a pool folder of the format). Under N processes the new
    shards' entries are exchanged (``all_gather_object``), so every rank
    holds the same list: the union of all ranks' shards.

    :meth:`sample` reads with bounded memory: at most ``cache_images``
    decoded images (uint8) stay resident. While the whole pool fits, every
    shard stays and a draw is uniform over the pool, as in the in-memory
    pool. Beyond that each draw of n images first loads fresh shards,
    chosen with probability proportional to their size, until n new images
    came in (at least one shard), evicting the least recently used ones,
    then draws the n images uniformly from the resident shards (a shuffle
    window: every image is equally likely over time, a batch mixes
    ``cache_images / shard_size`` shards). A batch just added is resident.

    Checkpoints hold the shard list (file, count, bytes, sha256), never the
    images: their size does not grow with the pool's images. Restoring one
    checks that every listed shard exists with its size and sha256 (the
    ranks share the hashing); a missing or modified shard is an error
    naming the file. Shards are computed results and are never deleted: a
    fresh run refuses a rank folder that already holds shards, a resumed
    one leaves the shards written after its checkpoint where they are and
    numbers its new shards after them.

    Args:
        root (str): Folder of the pool (``tools/train.py`` sets
            ``<work_dir>/pool`` when None). A shared file system under N
            processes on several machines.
        shard_size (int): Images per shard at most (a batch is split).
            Defaults to 512.
        cache_images (int): Decoded images kept in memory at most (uint8:
            150 KB each at 3×224×224). Defaults to 4096.
        pixel_range (tuple[float, float]): Pixel values 0 and 255 of the
            stored uint8 stand for; the pool synthesizer passes its own.
            Defaults to (0, 255).
        max_size (None): Only None (every shard is kept), so that a task
            config's ``pool=dict(max_size=None)`` takes ``type='DiskPool'``
            as it is. Defaults to None.
        device (str, optional): Where :meth:`sample` puts batches when its
            caller names no device (the in-memory pool's ``device``
            argument, so a config's ``pool=dict(device='cpu')`` takes
            ``type='DiskPool'`` too; the decoded shards stay on the CPU).
            Defaults to None (the CPU).
    """
    spans_ranks = True

    def __init__(self,
                 root: Optional[Union[str, os.PathLike]] = None,
                 shard_size: int = 512,
                 cache_images: int = 4096,
                 pixel_range: Sequence[float] = (0., 255.),
                 max_size: None = None,
                 device: Optional[Union[str, torch.device]] = None) -> None:
        super().__init__()
        self.device = None if device is None else torch.device(device)
        if max_size is not None:
            raise ValueError(
                f'DiskPool keeps every shard: max_size={max_size!r} is not '
                'supported (use the in-memory pool for a FIFO pool)')
        if root is None:
            raise ValueError(
                'DiskPool needs a root folder: tools/train.py sets '
                '<work_dir>/pool; when building the runner yourself '
                '(Runner.from_cfg) set model.synthesizer.pool.root')
        self.root = osp.abspath(os.fspath(root))
        self.shard_size = _positive_int(shard_size, 'shard_size')
        self.cache_images = _positive_int(cache_images, 'cache_images')
        low, high = (float(v) for v in pixel_range)
        if not high > low:
            raise ValueError(f'pixel_range must be (low, high) with low < '
                             f'high, got {tuple(pixel_range)}')
        self.pixel_range = (low, high)
        self.clear()

    def clear(self) -> None:
        """Forget every shard (the files stay on disk)."""
        #: The union of all ranks' shards: file (relative to root),
        #: count, bytes, sha256; the same list on every rank.
        self._shards: List[dict] = []
        self._ends = torch.zeros(0, dtype=torch.long)  # cumulative counts
        self._image_shape: Optional[Tuple[int, int, int]] = None
        self._has_labels: Optional[bool] = None
        self._class_counts = torch.zeros(0, dtype=torch.long)
        # shard index -> (uint8 images, labels); least recently used first
        self._cache: 'OrderedDict[int, tuple]' = OrderedDict()
        self._cached = 0
        self._next_index: Optional[int] = None  # this rank's next file
        #: Images this process drew, by the folder (``rank_<r>``) of their
        #: shard: which ranks' images the student steps see.
        self.drawn: Dict[str, int] = {}

    # ------------------------------------------------------------------
    # properties
    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    @property
    def shards(self) -> List[dict]:
        """Copies of the shard entries (the union of all ranks')."""
        return [dict(s) for s in self._shards]

    @property
    def cached_images(self) -> int:
        """Decoded images resident in memory now."""
        return self._cached

    @property
    def rank_dir(self) -> str:
        """The folder this rank writes its shards to."""
        return osp.join(self.root, f'rank_{get_rank()}')

    def extra_repr(self) -> str:
        return (f'root={self.root!r}, size={len(self)}, '
                f'shards={len(self._shards)}, '
                f'shard_size={self.shard_size}, '
                f'cache_images={self.cache_images}, '
                f'pixel_range={self.pixel_range}')

    # ------------------------------------------------------------------
    # writing
    def check_writable(self) -> None:
        """Refuse to write into a rank folder holding another run's shards
        (called before a synthesis round, so it fails before the work)."""
        if self._next_index is not None:
            return
        folder = self.rank_dir
        os.makedirs(folder, exist_ok=True)
        rel = osp.basename(folder)
        on_disk = sorted(n for n in os.listdir(folder)
                         if SHARD_PATTERN.match(n))
        known = {s['file'] for s in self._shards}
        foreign = [n for n in on_disk if f'{rel}/{n}' not in known]
        if foreign and not self._shards:
            raise PoolFormatError(
                f'{folder} already holds {len(foreign)} shard(s) '
                f'({foreign[0]} ...) of an earlier run that this run does '
                'not continue. Shards are computed results and are never '
                'deleted for you: continue that run with --resume, move or '
                'delete the folder yourself, or set '
                'model.synthesizer.pool.root to another folder.')
        if foreign:
            print_log(
                f'{folder}: {len(foreign)} shard(s) written after the '
                f'resumed checkpoint ({foreign[0]} ...) are kept on disk '
                'but are not part of the pool; new shards are numbered '
                'after them', logger='current')
        self._next_index = max(
            (int(n[len('shard_'):-len('.pt')]) for n in on_disk),
            default=-1) + 1

    def _check_batch(
        self, images: torch.Tensor, labels: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        images, labels = super()._check_batch(images, labels)
        if not images.is_floating_point():
            raise ValueError('images must be floats in pixel_range (they '
                             f'are quantised to uint8), got {images.dtype}')
        return images, labels

    def _rank_meta(self) -> dict:
        """``meta.json`` of this rank's folder (its own shards)."""
        from mmdfkd.version import __version__
        prefix = osp.basename(self.rank_dir) + '/'
        own = [
            dict(file=s['file'][len(prefix):], count=s['count'],
                 sha256=s['sha256']) for s in self._shards
            if s['file'].startswith(prefix)
        ]
        pixel_range = list(self.pixel_range)
        return dict(
            format=POOL_FORMAT,
            version=POOL_VERSION,
            num_images=sum(s['count'] for s in own),
            image_shape=list(self._image_shape),
            dtype='uint8',
            has_labels=bool(self._has_labels),
            pixel_range=pixel_range,
            fingerprint=dict(pixel_range=pixel_range),
            shards=own,
            created=time.strftime('%Y-%m-%dT%H:%M:%S%z'),
            mmdfkd_version=__version__)

    def add(self,
            images: torch.Tensor,
            labels: Optional[torch.Tensor] = None) -> None:
        """Write a batch as shards; every rank must call it (a collective
        exchanges the new shards' entries).

        Args:
            images (Tensor): N×C×H×W float, pixel space, finite.
            labels (Tensor, optional): (N,) integer labels.
        """
        images, labels = self._check_batch(images, labels)
        self.check_writable()
        if self._image_shape is None:
            self._image_shape = tuple(int(s) for s in images.shape[1:])
            self._has_labels = labels is not None
        codes = quantize(images, self.pixel_range).cpu()
        labels = None if labels is None else labels.detach().long().cpu()
        new, fresh = [], []
        rel = osp.basename(self.rank_dir)
        for first in range(0, codes.shape[0], self.shard_size):
            # clones: saving a view would save the whole batch's storage
            part = codes[first:first + self.shard_size].clone()
            part_labels = (None if labels is None else
                           labels[first:first + self.shard_size].clone())
            name = f'{rel}/{shard_name(self._next_index)}'
            self._next_index += 1
            size, sha = write_shard(
                osp.join(self.root, name), part, part_labels)
            hist = ([] if part_labels is None else
                    torch.bincount(part_labels).tolist())
            new.append((dict(file=name, count=int(part.shape[0]),
                             bytes=size, sha256=sha), hist))
            fresh.append((part, part_labels))
        ranks = (all_gather_object(new) if get_world_size() > 1 else [new])
        own_first = None
        for rank, entries in enumerate(ranks):
            if rank == get_rank():
                own_first = len(self._shards)
            for entry, hist in entries:
                self._shards.append(entry)
                self._count_labels(hist)
        self._update_ends()
        if new:
            write_meta(self.rank_dir, self._rank_meta())
        for offset, (part, part_labels) in enumerate(fresh):
            self._cache_put(own_first + offset, part, part_labels, ())

    def _count_labels(self, hist: List[int]) -> None:
        if len(hist) > len(self._class_counts):
            grown = torch.zeros(len(hist), dtype=torch.long)
            grown[:len(self._class_counts)] = self._class_counts
            self._class_counts = grown
        if hist:
            self._class_counts[:len(hist)] += torch.tensor(hist)

    def _update_ends(self) -> None:
        self._ends = torch.tensor([s['count'] for s in self._shards],
                                  dtype=torch.long).cumsum(0)

    # ------------------------------------------------------------------
    # reading
    def _cache_put(self, index: int, images: torch.Tensor,
                   labels: Optional[torch.Tensor], keep) -> None:
        self._cache[index] = (images, labels)
        self._cached += images.shape[0]
        while self._cached > self.cache_images:
            victim = next((i for i in self._cache
                           if i not in keep and i != index), None)
            if victim is None:
                break
            self._cached -= self._cache.pop(victim)[0].shape[0]

    def _resident(self, index: int, keep=()) -> None:
        """Make shard ``index`` resident (most recently used)."""
        if index in self._cache:
            self._cache.move_to_end(index)
            return
        images, labels = load_shard(
            self.root, self._shards[index], self._image_shape, 'uint8',
            bool(self._has_labels), check_sha256=False)
        self._cache_put(index, images, labels, keep)

    def _generator(self, generator: Optional[torch.Generator]
                   ) -> torch.Generator:
        """A CPU generator for one draw. By default seeded from torch's
        generator (the same on every rank) plus the rank: ranks that
        sample the same union draw different batches."""
        if generator is not None and generator.device.type == 'cpu':
            return generator
        if generator is not None:
            seed = int(torch.randint(2**62, (), generator=generator,
                                     device=generator.device))
        else:
            seed = int(torch.randint(2**62, ())) + get_rank()
        return torch.Generator().manual_seed(seed)

    def _window(self, n: int, gen: torch.Generator) -> List[int]:
        """Shards to draw ``n`` images from, made resident."""
        if len(self) <= self.cache_images:
            for index in range(len(self._shards)):
                self._resident(index)
            return list(range(len(self._shards)))
        weights = torch.tensor([s['count'] for s in self._shards],
                               dtype=torch.float)
        loaded: List[int] = []
        came = 0
        while came < min(max(n, 1), self.cache_images):
            index = int(torch.multinomial(weights, 1, generator=gen))
            self._resident(index, keep=loaded)
            loaded.append(index)
            came += self._shards[index]['count']
        return list(self._cache)

    def sample(
        self,
        n: int,
        generator: Optional[torch.Generator] = None,
        device: Optional[Union[str, torch.device]] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Draw ``n`` images with replacement (see the class notes).

        Args:
            n (int): Batch size.
            generator (torch.Generator, optional): Source of randomness.
                Defaults to None (seeded from torch's, plus the rank).
            device (str, optional): Where the batch goes (as uint8, then
                decoded there). Defaults to the pool's ``device`` (None:
                the CPU).

        Returns:
            tuple: ``(images, labels)``: float32 n×C×H×W in pixel space
            and int64 (n,) or None, grouped by shard (the draws are
            sorted; their order within the batch carries no meaning).
        """
        if len(self) == 0:
            raise RuntimeError('cannot sample from an empty pool')
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f'n must be a non-negative int, got {n!r}')
        gen = self._generator(generator)
        resident = self._window(n, gen)
        counts = torch.tensor([self._shards[i]['count'] for i in resident])
        ends = counts.cumsum(0)
        # sorted draws: each shard's rows are one slice of the batch (the
        # order within a batch carries no meaning), gathered in place
        idx = torch.randint(int(ends[-1]), (n, ), generator=gen).sort()[0]
        bounds = torch.searchsorted(idx, ends).tolist()
        codes = torch.empty((n, ) + self._image_shape, dtype=torch.uint8)
        labels = (torch.empty(n, dtype=torch.long)
                  if self._has_labels else None)
        first = 0
        for slot, index in enumerate(resident):
            last = bounds[slot]
            if last == first:
                continue
            rows = idx[first:last] - (ends[slot] - counts[slot])
            shard_images, shard_labels = self._cache[index]
            torch.index_select(shard_images, 0, rows, out=codes[first:last])
            if labels is not None:
                torch.index_select(shard_labels, 0, rows,
                                   out=labels[first:last])
            folder = self._shards[index]['file'].split('/')[0]
            self.drawn[folder] = self.drawn.get(folder, 0) + last - first
            first = last
        device = device if device is not None else self.device
        if device is not None:
            codes = codes.to(device)
            labels = None if labels is None else labels.to(device)
        return dequantize(codes, self.pixel_range), labels

    def class_counts(self, num_classes: int) -> torch.Tensor:
        """How many images of the whole pool (all ranks) carry each label:
        int64 (num_classes,) on the CPU."""
        counts = torch.zeros(num_classes, dtype=torch.long)
        n = min(num_classes, len(self._class_counts))
        counts[:n] = self._class_counts[:n]
        return counts

    def subset(self, max_images: int, seed: int = 0) -> torch.Tensor:
        """Up to ``max_images`` distinct images (float32) of the resident
        shards (the newest batch among them), without replacement, from a
        private generator: bounded memory, no reading of the whole pool."""
        if len(self) == 0:
            raise RuntimeError('cannot draw from an empty pool')
        if not self._cache:
            self._resident(len(self._shards) - 1)
        parts = list(self._cache.values())
        ends = torch.tensor([len(images) for images, _ in parts]).cumsum(0)
        gen = torch.Generator().manual_seed(seed)
        pick = torch.randperm(int(ends[-1]), generator=gen)[:max_images]
        which = torch.searchsorted(ends, pick, right=True)
        starts = torch.cat([ends.new_zeros(1), ends[:-1]])
        codes = torch.empty((len(pick), ) + self._image_shape,
                            dtype=torch.uint8)
        for slot, (images, _) in enumerate(parts):
            hit = (which == slot).nonzero().squeeze(1)
            if len(hit):
                codes[hit] = images[pick[hit] - starts[slot]]
        return dequantize(codes, self.pixel_range)

    def tensors(self) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The whole pool in memory (float32 pixel space, and labels), in
        shard order: for exports of pools that fit; empty: (None, None)."""
        if len(self) == 0:
            return None, None
        parts = [
            load_shard(self.root, s, self._image_shape, 'uint8',
                       bool(self._has_labels), check_sha256=False)
            for s in self._shards
        ]
        images = dequantize(torch.cat([p[0] for p in parts]),
                            self.pixel_range)
        labels = (torch.cat([p[1] for p in parts])
                  if self._has_labels else None)
        return images, labels

    # ------------------------------------------------------------------
    # state_dict
    def get_extra_state(self) -> torch.Tensor:
        """The shard list (with sizes and sha256), shape, labels and class
        counts, packed (:mod:`mmdfkd.utils.packed_state`); no image."""
        state: Dict[str, Any] = dict(
            format=STATE_FORMAT,
            version=STATE_VERSION,
            root=self.root,
            num_images=len(self),
            pixel_range=list(self.pixel_range),
            has_labels=-1 if self._has_labels is None else int(
                self._has_labels),
            shards=self.shards,
            class_counts=self._class_counts.clone())
        if self._image_shape is not None:
            state['image_shape'] = list(self._image_shape)
        return pack_state(state)

    def _verify(self, shards: List[dict], saved_root: str) -> None:
        """Every shard present with its size; the sha256 of every
        world_size-th one (from the rank's own offset) on this rank."""
        rank, world = get_rank(), get_world_size()
        moved = ('' if saved_root == self.root else
                 f' (the checkpoint was written with root {saved_root})')
        for i, shard in enumerate(shards):
            path = osp.join(self.root, shard['file'])
            if not osp.isfile(path):
                raise PoolFormatError(
                    f'disk pool {self.root}{moved}: shard {path} is '
                    f'missing ({shard["count"]} images listed by the '
                    f'checkpoint). {RESUME_FIX}')
            size = osp.getsize(path)
            sha = (file_sha256(path) if size == shard['bytes']
                   and i % world == rank else None)
            if size != shard['bytes'] or (sha is not None
                                          and sha != shard['sha256']):
                raise PoolFormatError(
                    f'disk pool {self.root}: shard {path} was modified '
                    f'after it was written ({size} bytes, sha256 '
                    f'{sha or "not computed"}; the checkpoint records '
                    f'{shard["bytes"]} bytes, sha256 {shard["sha256"]}). '
                    f'{RESUME_FIX}')

    def set_extra_state(self, state: torch.Tensor) -> None:
        """Restore :meth:`get_extra_state`'s list after checking every
        shard on disk (under this pool's ``root``).

        Raises:
            PoolFormatError: A shard is missing or modified (named), or
                the state is not a disk pool's.
        """
        if isinstance(state, torch.Tensor):
            state = unpack_state(state)
        if isinstance(state, dict) and state.get('format') == POOL_FORMAT:
            raise PoolFormatError(
                'the checkpoint holds an in-memory pool (its images), '
                'this model keeps a DiskPool: resume with the pool the '
                'checkpoint was written with (model.synthesizer.pool '
                'without type=DiskPool)')
        if not isinstance(state, dict) or state.get('format') != \
                STATE_FORMAT:
            raise PoolFormatError('not a DiskPool state')
        if state.get('version', 0) > STATE_VERSION:
            raise PoolFormatError(
                f"disk pool state version {state['version']} is newer "
                f'than this mmdfkd reads ({STATE_VERSION})')
        if tuple(state['pixel_range']) != self.pixel_range:
            raise PoolFormatError(
                f"the checkpoint's shards encode pixel_range "
                f"{tuple(state['pixel_range'])}, this pool "
                f'{self.pixel_range}: use the pixel_range of the run')
        shards = [dict(s) for s in state['shards']]
        self._verify(shards, state['root'])
        self.clear()
        self._shards = shards
        self._update_ends()
        if 'image_shape' in state:
            self._image_shape = tuple(int(s) for s in state['image_shape'])
        if state['has_labels'] != -1:
            self._has_labels = bool(state['has_labels'])
        self._class_counts = state['class_counts'].clone().long()
