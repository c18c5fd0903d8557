"""scikit-learn's bundled handwritten digits as an mmpretrain dataset."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmdfkd.registry import DATASETS

DIGITS_CLASSES = tuple(str(i) for i in range(10))

# The split is part of the dataset definition: changing any of these
# changes which images are held out, so they are constants, not arguments.
TEST_FRACTION = 0.3
VAL_FRACTION = 0.15
TEST_SEED = 0
VAL_SEED = 0


def digits_split_indices() -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices into ``load_digits()`` of the fixed train/val/test split.

    30 % of all images go to ``test`` (stratified by label, seed 0); 15 %
    of the rest go to ``val`` (stratified, seed 0); the remainder is
    ``train``. Each index array is sorted.

    Returns:
        tuple[np.ndarray]: ``(train, val, test)`` index arrays.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    labels = load_digits().target
    all_idx = np.arange(len(labels))
    rest, test = train_test_split(
        all_idx,
        test_size=TEST_FRACTION,
        stratify=labels,
        random_state=TEST_SEED)
    train, val = train_test_split(
        rest,
        test_size=VAL_FRACTION,
        stratify=labels[rest],
        random_state=VAL_SEED)
    return np.sort(train), np.sort(val), np.sort(test)


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The handwritten digits bundled with scikit-learn (no download).

    ``sklearn.datasets.load_digits`` holds 1797 grey 8x8 images with
    values 0..16 in 10 classes. The images are split once, with fixed
    seeds (see :func:`digits_split_indices`): ``test`` is a stratified
    30 % of all images, ``val`` a stratified 15 % of the remainder and
    ``train`` the rest (1068 / 189 / 540 images). The splits are disjoint
    and identical on every instantiation.

    Each sample handed to the pipeline is a dict with

    - ``img``: ``np.uint8`` array of shape ``(8, 8, 1)``, the 0..16 values
      scaled linearly to 0..255 (``round(v * 255 / 16)``),
    - ``img_shape`` / ``ori_shape``: ``(8, 8)``,
    - ``gt_label``: ``int`` in ``0..9``,
    - ``digits_idx``: the image's index in ``load_digits()``.

    Args:
        split (str): Which part to use, one of ``'train'``, ``'val'`` and
            ``'test'``. Defaults to ``'train'``.
        pipeline (Sequence): Transforms (configs or callables) applied to
            each sample. Defaults to an empty tuple.
        test_mode (bool): Whether the dataset is used for evaluation; then a
            failing sample raises instead of being replaced by another.
            Defaults to ``False``.
        metainfo (dict, optional): Meta information overriding
            :attr:`METAINFO`. Defaults to ``None``.
        **kwargs: Other keyword arguments of mmpretrain's
            :class:`~mmpretrain.datasets.BaseDataset` (e.g. ``indices``,
            ``serialize_data``, ``lazy_init``); ``ann_file``,
            ``data_root`` and ``data_prefix`` have no meaning here.
    """

    METAINFO = {'classes': DIGITS_CLASSES}
    SPLITS = ('train', 'val', 'test')

    def __init__(self,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        for key in ('ann_file', 'data_root', 'data_prefix'):
            if kwargs.pop(key, None):
                raise ValueError(f'DigitsDataset takes no {key!r}: the '
                                 'images come from scikit-learn')
        self.split = split
        super().__init__(
            ann_file='',
            metainfo=metainfo,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the images of :attr:`split` from scikit-learn."""
        from sklearn.datasets import load_digits

        digits = load_digits()
        train, val, test = digits_split_indices()
        indices = dict(train=train, val=val, test=test)[self.split]
        # 0..16 -> 0..255, rounded; 16 maps exactly to 255.
        images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)

        data_list = []
        for idx in indices:
            img = np.ascontiguousarray(images[idx][..., None])
            data_list.append(
                dict(
                    img=img,
                    img_shape=img.shape[:2],
                    ori_shape=img.shape[:2],
                    gt_label=int(digits.target[idx]),
                    digits_idx=int(idx)))
        return data_list

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [f'Split: \t{self.split}']
