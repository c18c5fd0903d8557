"""The one input normalisation of mmdfkd: pixel-space images as a network's
data preprocessor hands them to the network."""
from typing import Optional, Sequence, Union

import torch
from torch import nn

#: Data-preprocessor flags that swap the channel order (mmpretrain's
#: ``to_rgb``, mmengine's / mmseg's ``bgr_to_rgb`` and ``rgb_to_bgr``).
FLIP_KEYS = ('to_rgb', 'bgr_to_rgb', 'rgb_to_bgr')


class InputNormalization(nn.Module):
    """What a network's data preprocessor does to a batch of same-sized
    pixel-space images: reverse the channel order of 3-channel images when
    it converts channels (BGR ↔ RGB), then ``(x - mean) / std`` when it
    normalises.

    Synthesized and pool images live in the pixel space of the dataset's
    images as loaded (BGR for an mmcv/mmseg pipeline whose preprocessor has
    ``bgr_to_rgb=True``), so every network sees them exactly as it sees a
    real batch. Batch augmentations of training (mixup...) are not applied.

    ``mean`` and ``std`` are non-persistent buffers: they move with the
    module and stay out of checkpoints.

    Args:
        mean (Sequence[float], optional): Per-channel mean. Defaults to None
            (no normalisation).
        std (Sequence[float], optional): Per-channel std; needed with
            ``mean``. Defaults to None.
        flip_channels (bool): Reverse the order of 3 channels first.
            Defaults to False.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 flip_channels: bool = False) -> None:
        super().__init__()
        if (mean is None) != (std is None):
            raise ValueError('InputNormalization needs both mean and std, '
                             f'or neither; got mean={mean}, std={std}')
        self.flip_channels = bool(flip_channels)
        self.register_buffer('mean', self._column(mean), persistent=False)
        self.register_buffer('std', self._column(std), persistent=False)

    @staticmethod
    def _column(values) -> Optional[torch.Tensor]:
        if values is None:
            return None
        return torch.as_tensor(values, dtype=torch.float32).reshape(
            1, -1, 1, 1)

    @classmethod
    def from_config(cls, cfg: Union[dict, None]) -> 'InputNormalization':
        """From a network config: its ``data_preprocessor`` entry (mean,
        std and the channel-order flags), as
        :func:`~mmdfkd.models.algorithms.networks.network_cfg` gives it."""
        pre = (cfg or {}).get('data_preprocessor') or {}
        return cls(
            mean=pre.get('mean'),
            std=pre.get('std'),
            flip_channels=any(bool(pre.get(k)) for k in FLIP_KEYS))

    @property
    def channels(self) -> Optional[int]:
        """Channels it normalises; None when it does not normalise."""
        return None if self.mean is None else self.mean.shape[1]

    def to_network_order(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` in the channel order the network computes on (RGB
        for a ``to_rgb`` network): what a picture of them should show."""
        if self.flip_channels and images.shape[1] == 3:
            return images.flip(1)
        return images

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        images = self.to_network_order(images)
        if self.mean is None:
            return images
        return (images - self.mean) / self.std

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, '
                f'flip_channels={self.flip_channels}')
