"""A fixed-size FIFO memory bank of feature vectors (CMI's contrastive
negatives).

The bank is a ring buffer: a preallocated ``size × dim`` tensor on one
device, a write pointer and a fill count (both Python ints, so reading them
never synchronises with the device). Every operation costs O(entries
touched), never O(``size``): a push writes its N rows with one
``index_copy_``, a draw of ``n`` entries indexes ``n`` rows.

Under ``torch.distributed`` (world size > 1) :meth:`MemoryBank.push` first
gathers the features of every rank in rank order, so all ranks write the
same rows and keep identical banks; the checkpoint written by rank 0 is
therefore every rank's bank.

It is a plain object, not an ``nn.Module``: its rows are no buffers (DDP
would broadcast them, and every weight export would carry them); its owner,
:class:`~mmdfkd.models.synthesizers.ContrastiveSynthesizer`, saves it in its
packed extra state (checkpoints and resume only).
"""
from typing import Any, Dict, Optional, Union

import torch
import torch.distributed as dist

from mmdfkd.utils.dist import is_distributed

# ``all_gather_into_tensor`` is deprecated in favour of ``all_gather_single``
# in recent torch; use whichever this torch has.
_all_gather_single = getattr(dist, 'all_gather_single', None) or getattr(
    dist, 'all_gather_into_tensor', None)

Device = Union[str, torch.device]


class MemoryBank:
    """Ring buffer of the ``size`` most recently pushed feature vectors.

    Args:
        size (int): Entries kept (the oldest are overwritten first).
        dim (int): Length of each feature vector.
        device (str | torch.device): Where the bank lives. Defaults to
            ``'cpu'``.
        dtype (torch.dtype): Defaults to ``torch.float32``.
        batch_size (int, optional): Rows written by one push, summed over
            all ranks (the global batch). When given, a bank smaller than
            it is refused: every push would overwrite the whole bank with
            the current batch, so it would never hold any other batch.

    Pushes of any size work, whether or not ``size`` is a multiple of
    them (the ring wraps in the middle of a batch). A single push of more
    than ``size`` rows keeps its newest (last) ``size`` rows; the pointer
    then moves as if all rows had been written one after the other.
    """

    def __init__(self,
                 size: int,
                 dim: int,
                 device: Device = 'cpu',
                 dtype: torch.dtype = torch.float32,
                 batch_size: Optional[int] = None) -> None:
        size, dim = int(size), int(dim)
        if size <= 0 or dim <= 0:
            raise ValueError(
                f'MemoryBank needs size > 0 and dim > 0, got size={size}, '
                f'dim={dim}')
        if batch_size is not None and size < int(batch_size):
            batch_size = int(batch_size)
            raise ValueError(
                f'MemoryBank size={size} is smaller than one push of '
                f'{batch_size} features (the global batch): every push '
                f'would overwrite the whole bank. Use size >= {batch_size} '
                f'(CMI uses 40960) or a smaller batch.')
        self.size = size
        self.dim = dim
        self.bank = torch.zeros(size, dim, device=device, dtype=dtype)
        self.ptr = 0  # next row to write
        self.filled = 0  # rows holding pushed features

    # ----------------------------------------------------------- properties
    @property
    def device(self) -> torch.device:
        return self.bank.device

    @property
    def dtype(self) -> torch.dtype:
        return self.bank.dtype

    def __len__(self) -> int:
        return self.filled

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, dim={self.dim}, '
                f'filled={self.filled}, ptr={self.ptr}, '
                f'device={self.device}, dtype={self.dtype})')

    @property
    def features(self) -> torch.Tensor:
        """The filled rows, in storage (ring) order; a view of the bank."""
        return self.bank[:self.filled]

    def ordered(self) -> torch.Tensor:
        """The filled rows, oldest first (a copy)."""
        if self.filled < self.size:
            return self.bank[:self.filled].clone()
        return torch.cat([self.bank[self.ptr:], self.bank[:self.ptr]])

    # ----------------------------------------------------------- mutation
    def reset(self) -> None:
        """Forget every entry (the storage is kept)."""
        self.ptr = 0
        self.filled = 0

    def to(self, device: Optional[Device] = None,
           dtype: Optional[torch.dtype] = None) -> 'MemoryBank':
        """Move the bank (in place); returns ``self``."""
        self.bank = self.bank.to(device=device, dtype=dtype)
        return self

    def _gather(self, feats: torch.Tensor) -> torch.Tensor:
        """Every rank's ``feats`` concatenated in rank order (collective)."""
        world = dist.get_world_size()
        out = feats.new_empty((world * feats.shape[0], ) + feats.shape[1:])
        _all_gather_single(out, feats.contiguous())
        return out

    def _write(self, feats: torch.Tensor) -> None:
        """Write rows into the ring on this process only (no collective)."""
        total = feats.shape[0]
        if total == 0:
            return
        kept = min(total, self.size)
        if kept < total:  # more rows than the bank: keep the newest
            feats = feats[total - kept:]
        start = self.ptr + (total - kept)
        index = torch.arange(
            start, start + kept, device=self.device) % self.size
        self.bank.index_copy_(0, index, feats)
        self.ptr = (self.ptr + total) % self.size
        self.filled = min(self.filled + total, self.size)

    @torch.no_grad()
    def push(self, feats: torch.Tensor) -> None:
        """Add a batch of features (``N × dim``, gradients are dropped).

        Under ``torch.distributed`` with several processes this is a
        collective: every rank must call it at the same point with the same
        ``N``; the banks of all ranks then receive rank 0's rows, then rank
        1's, and so on.
        """
        if feats.dim() != 2 or feats.shape[1] != self.dim:
            raise ValueError(
                f'MemoryBank.push expects features of shape (N, {self.dim}), '
                f'got {tuple(feats.shape)}')
        feats = feats.detach()
        if is_distributed():
            feats = self._gather(feats)
        self._write(feats.to(device=self.device, dtype=self.dtype))

    # ------------------------------------------------------------- reading
    def sample(self,
               n: int,
               generator: Optional[torch.Generator] = None,
               replacement: bool = False) -> torch.Tensor:
        """Draw ``n`` filled entries (a new ``n × dim`` tensor on the bank's
        device); all filled entries (a copy, ring order) when ``n`` is not
        smaller than :meth:`__len__`.

        Cost O(n), whatever the bank's size or fill: no ``randperm`` or
        ``multinomial`` over the bank (both O(filled)), no Python loop, no
        device-to-host copy.

        Without replacement (default) the draw is *rotated stratified*: the
        filled rows are cut into ``n`` consecutive strata of
        ``filled // n`` or ``filled // n + 1`` rows, one row is drawn
        uniformly in each, and the result is rotated by a uniform random
        offset. So there are no duplicates and every filled row is drawn
        with probability exactly ``n / filled``; unlike a simple random
        sample, two rows of the same stratum are never drawn together
        (which spreads the draw evenly over the bank; strata are
        push-ordered rows, i.e. bands of age). Rows come out in stratum
        order, not shuffled (irrelevant for a set of negatives).

        With ``replacement=True``: ``n`` independent uniform indices
        (``torch.randint``); duplicates possible (about ``n/(2·filled)`` of
        the draws).

        Args:
            n (int): Entries wanted.
            generator (torch.Generator, optional): On the bank's device.
            replacement (bool): See above. Defaults to False.
        """
        filled = self.filled
        n = int(n)
        if n < 0:
            raise ValueError(f'MemoryBank.sample: n must be >= 0, got {n}')
        if n >= filled:
            return self.bank[:filled].clone()
        device = self.device
        if replacement:
            index = torch.randint(
                filled, (n, ), generator=generator, device=device)
        else:
            i = torch.arange(n, device=device)
            low = i * filled // n
            high = (i + 1) * filled // n  # high - low >= 1 as n < filled
            width = high - low
            # float64 keeps u·width unbiased for wide strata (MPS has none)
            u = torch.rand(
                n,
                generator=generator,
                device=device,
                dtype=torch.float32
                if device.type == 'mps' else torch.float64)
            index = low + torch.minimum((u * width).long(), width - 1)
            offset = torch.randint(
                filled, (1, ), generator=generator, device=device)
            index = (index + offset) % filled
        return self.bank.index_select(0, index)

    # --------------------------------------------------------- checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """Tensors and ints only (loads under ``weights_only=True``).

        ``features`` is a CPU copy of the filled rows in storage order; a
        bank that is not full yet saves only what it holds.
        """
        return dict(
            size=self.size,
            dim=self.dim,
            ptr=self.ptr,
            filled=self.filled,
            features=self.bank[:self.filled].to('cpu', copy=True))

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (onto this bank's device and dtype).

        A state of the same ``size`` comes back exactly (rows and pointer).
        A state of another ``size`` is replayed oldest first, so this bank
        keeps the newest ``min(size, saved)`` entries in push order.
        """
        feats = state['features']
        dim, filled = int(state['dim']), int(state['filled'])
        size, ptr = int(state['size']), int(state['ptr'])
        if dim != self.dim:
            raise ValueError(
                f'MemoryBank: the saved bank holds {dim}-d features, this '
                f'one {self.dim}-d')
        if not 0 <= ptr < size or not 0 <= filled <= size:
            raise ValueError(
                f'MemoryBank: inconsistent saved state (size={size}, '
                f'ptr={ptr}, filled={filled})')
        if tuple(feats.shape) != (filled, dim):
            raise ValueError(
                f'MemoryBank: saved features of shape {tuple(feats.shape)} '
                f'do not match filled={filled}, dim={dim}')
        feats = feats.to(device=self.device, dtype=self.dtype)
        if size == self.size:
            self.bank[:filled] = feats
            self.ptr, self.filled = ptr, filled
            return
        if filled == size:  # full: the oldest row is at ptr
            feats = torch.cat([feats[ptr:], feats[:ptr]])
        self.reset()
        self._write(feats)
