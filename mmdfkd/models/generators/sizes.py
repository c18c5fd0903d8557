"""Image size checks shared by the generators that upsample a latent map."""
from typing import Tuple, Union


def upsampled_size(img_size: Union[int, Tuple[int, int]],
                   num_upsamples: int) -> Tuple[Tuple[int, int], int]:
    """``((h, w), 2 ** num_upsamples)`` for a generator that doubles its
    map ``num_upsamples`` times up to ``img_size``.

    Raises:
        ValueError: If ``num_upsamples < 1`` or ``img_size`` is not a
            multiple of ``2 ** num_upsamples``.
    """
    h, w = (img_size, img_size) if isinstance(img_size, int) else img_size
    step = 2**num_upsamples
    if num_upsamples < 1 or h % step or w % step:
        raise ValueError(
            f'img_size must be a multiple of 2 ** num_upsamples = '
            f'{step} (num_upsamples >= 1), got {h}×{w}; change '
            'img_size or num_upsamples')
    return (h, w), step
