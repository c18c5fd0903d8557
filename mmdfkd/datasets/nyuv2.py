"""NYUv2 with the 13-class labels, read in its common on-disk layout."""
import os
import os.path as osp
from typing import Dict, List

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS as MMSEG_DATASETS

from mmdfkd.registry import DATASETS
from .seg_checks import check_label_values, require_dirs

NYUV2_CLASSES = ('Bed', 'Books', 'Ceiling', 'Chair', 'Floor', 'Furniture',
                 'Objects', 'Picture', 'Sofa', 'Table', 'TV', 'Wall',
                 'Window')
# No palette is standard for the 13 classes; these are distinct colours.
NYUV2_PALETTE = [[0, 0, 255], [233, 89, 48], [0, 218, 0], [149, 0, 240],
                 [222, 241, 24], [255, 206, 206], [0, 224, 229],
                 [106, 136, 204], [117, 29, 41], [240, 35, 235],
                 [0, 167, 156], [249, 139, 0], [225, 229, 194]]

# The validation split is part of the dataset definition: changing these
# changes which official training images are held out.
VAL_FRACTION = 0.1
VAL_SEED = 0

NYUV2_LAYOUT = (
    'the common NYUv2 layout: <data_root>/480_640/IMAGE/<i-1>.png (or '
    '<i:04d>.png), the RGB frames of the 1449 labelled images; '
    '<data_root>/nyuv2-meta-data/splits.mat (MATLAB, 1-based trainNdxs / '
    'testNdxs); <data_root>/nyuv2-meta-data/{train,test}_labels_13/'
    'new_nyu_class13_<i:04d>.png (0 = void, 1..13 = classes)')
NYUV2_FIX = (
    'nyuv2-meta-data is github.com/ankurhanda/nyuv2-meta-data (unzip its '
    'train_labels_13 / test_labels_13); the frames are the `images` of '
    'nyu_depth_v2_labeled.mat, written as PNGs named by index.')


def nyuv2_split_indices(train_ndxs: np.ndarray,
                        test_ndxs: np.ndarray) -> Dict[str, np.ndarray]:
    """The 1-based image indices of every split.

    ``val`` is ``ceil(VAL_FRACTION * len(train_ndxs))`` official training
    indices drawn with ``np.random.default_rng(VAL_SEED)`` (80 of 795 for
    the real splits); ``train`` is the rest of the official training
    indices, ``trainval`` all of them and ``test`` the official test set,
    never used for selection.

    Args:
        train_ndxs (np.ndarray): ``trainNdxs`` of ``splits.mat``.
        test_ndxs (np.ndarray): ``testNdxs`` of ``splits.mat``.

    Returns:
        dict[str, np.ndarray]: sorted indices of ``train``, ``val``,
        ``trainval`` and ``test``.
    """
    trainval = np.sort(np.asarray(train_ndxs, np.int64).ravel())
    test = np.sort(np.asarray(test_ndxs, np.int64).ravel())
    num_val = int(np.ceil(VAL_FRACTION * len(trainval)))
    val = np.sort(
        np.random.default_rng(VAL_SEED).choice(
            trainval, num_val, replace=False))
    train = np.setdiff1d(trainval, val)
    return dict(train=train, val=val, trainval=trainval, test=test)


def _image_namer(img_dir: str):
    """How the frames are named: ``<i-1>.png`` (0-based, unpadded) when
    ``0.png`` exists, else ``<i:04d>.png`` (1-based) when ``0001.png``
    does; the two cannot be told apart from a single name above 1000."""
    if osp.isfile(osp.join(img_dir, '0.png')):
        return lambda i: f'{i - 1}.png'
    if osp.isfile(osp.join(img_dir, '0001.png')):
        return lambda i: f'{i:04d}.png'
    raise FileNotFoundError(
        f'{img_dir!r} holds neither 0.png (frames named by 0-based index) '
        f'nor 0001.png (1-based, 4 digits). Expected {NYUV2_LAYOUT}. '
        f'{NYUV2_FIX}')


@DATASETS.register_module()
class NYUv2Dataset(BaseSegDataset):
    """NYUv2 labelled frames (480x640) with the 13-class labels.

    .. code-block:: none

        data_root/
          480_640/IMAGE/0.png ... 1448.png        (or 0001.png ... 1449.png)
          nyuv2-meta-data/splits.mat              trainNdxs, testNdxs
          nyuv2-meta-data/train_labels_13/new_nyu_class13_0003.png ...
          nyuv2-meta-data/test_labels_13/new_nyu_class13_0001.png ...

    Label value 0 is void and becomes 255; 1..13 become 0..12
    (``reduce_zero_label``, applied by mmseg's ``LoadAnnotations``).
    Splits (see :func:`nyuv2_split_indices`): ``train`` (715 images),
    ``val`` (80, carved deterministically out of the official training
    set), ``trainval`` (the official 795) and ``test`` (the official 654).

    When the dataset is initialised it checks the layout, that every
    image and label file of the split exists, and (unless
    ``check_labels=False``) that every label is a single-channel PNG with
    values 0..13, so a bad dataset fails at start-up naming the file.

    Args:
        data_root (str): The folder of the layout above.
        split (str): ``'train'``, ``'val'``, ``'trainval'`` or ``'test'``.
            Defaults to ``'train'``.
        check_labels (bool): Whether to scan the label values at
            initialisation. Defaults to ``True``.
        **kwargs: Other arguments of mmseg's
            :class:`~mmseg.datasets.BaseSegDataset` (``pipeline``,
            ``test_mode``, ``metainfo``, ``indices`` ...); ``data_prefix``,
            ``ann_file`` and ``reduce_zero_label`` are fixed by the layout.
    """

    METAINFO = dict(classes=NYUV2_CLASSES, palette=NYUV2_PALETTE)
    SPLITS = ('train', 'val', 'trainval', 'test')
    META_DIR = 'nyuv2-meta-data'
    IMG_DIR = osp.join('480_640', 'IMAGE')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 check_labels: bool = True,
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        for key in ('data_prefix', 'ann_file', 'reduce_zero_label'):
            if key in kwargs:
                raise ValueError(
                    f'NYUv2Dataset takes no {key!r}: it follows from the '
                    f'layout ({NYUV2_LAYOUT})')
        self.split = split
        self.check_labels = check_labels
        super().__init__(
            data_root=data_root,
            data_prefix=dict(img_path=self.IMG_DIR, seg_map_path=''),
            img_suffix='.png',
            seg_map_suffix='.png',
            reduce_zero_label=True,
            **kwargs)

    def _read_splits(self) -> Dict[str, np.ndarray]:
        """The 1-based indices of every split, from ``splits.mat``."""
        from scipy.io import loadmat
        path = osp.join(self.data_root, self.META_DIR, 'splits.mat')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path!r} does not exist. Expected {NYUV2_LAYOUT}. '
                f'{NYUV2_FIX}')
        try:
            mat = loadmat(path)
        except (ValueError, NotImplementedError) as e:
            raise ValueError(
                f'cannot read {path!r} as a MATLAB (v5) file: {e}') from e
        for key in ('trainNdxs', 'testNdxs'):
            if key not in mat:
                raise ValueError(
                    f'{path!r} has no {key!r} (keys: '
                    f'{sorted(k for k in mat if not k.startswith("__"))})')
        return nyuv2_split_indices(mat['trainNdxs'], mat['testNdxs'])

    def load_data_list(self) -> List[dict]:
        """List the image/label pairs of :attr:`split` and check them."""
        label_split = 'test' if self.split == 'test' else 'train'
        ann_dir = osp.join(self.data_root, self.META_DIR,
                           f'{label_split}_labels_13')
        img_dir = self.data_prefix['img_path']
        require_dirs(self.data_root, [img_dir, ann_dir], NYUV2_LAYOUT,
                     NYUV2_FIX)
        indices = self._read_splits()[self.split]
        namer = _image_namer(img_dir)
        data_list = []
        for idx in indices:
            img = osp.join(img_dir, namer(int(idx)))
            ann = osp.join(ann_dir, f'new_nyu_class13_{idx:04d}.png')
            data_list.append(
                dict(
                    img_path=img,
                    seg_map_path=ann,
                    label_map=self.label_map,
                    reduce_zero_label=True,
                    seg_fields=[],
                    nyu_index=int(idx)))
        self._check_files(data_list, img_dir, ann_dir)
        if self.check_labels:
            check_label_values(
                [info['seg_map_path'] for info in data_list],
                valid=range(len(NYUV2_CLASSES) + 1),
                meaning='0 for void and 1..13 for the classes',
                fix=f'Expected {NYUV2_LAYOUT}.')
        return data_list

    def _check_files(self, data_list: List[dict], img_dir: str,
                     ann_dir: str) -> None:
        """Every listed image and label exists; name what is missing."""
        images = set(os.listdir(img_dir))
        labels = set(os.listdir(ann_dir))
        groups = dict(no_label=[], no_image=[], neither=[])
        for d in data_list:
            has_img = osp.basename(d['img_path']) in images
            has_ann = osp.basename(d['seg_map_path']) in labels
            if not (has_img and has_ann):
                key = ('no_label' if has_img else
                       'no_image' if has_ann else 'neither')
                groups[key].append((d['img_path'], d['seg_map_path']))
        what = dict(
            no_label='image(s) have no label file',
            no_image='label file(s) have no image',
            neither='indices have neither image nor label file')
        for key, missing in groups.items():
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} {what[key]} in split {self.split!r} '
                    f'of splits.mat, e.g. (image, label) {missing[:3]}. '
                    f'Expected {NYUV2_LAYOUT}. {NYUV2_FIX}')


# An mmseg-scoped config (default_scope='mmseg', custom_imports=['mmdfkd'])
# finds it by its bare name too.
MMSEG_DATASETS.register_module(module=NYUv2Dataset)
