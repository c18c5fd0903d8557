"""Early checks of on-disk segmentation datasets: layout, image/label
pairing and label values, each failing with the file and the fix."""
import os
import os.path as osp
from typing import Dict, Iterable, List, Sequence

import cv2
import numpy as np


def require_dirs(root: str, dirs: Sequence[str], layout: str,
                 fix: str) -> None:
    """Raise if any of ``dirs`` is not a folder.

    Args:
        root (str): The dataset root, named in the message.
        dirs (Sequence[str]): Folders that must exist, as paths already
            joined with ``root`` (mmseg joins ``data_prefix`` with
            ``data_root``; joining again would break relative roots).
        layout (str): A description of the expected layout.
        fix (str): How to produce that layout.

    Raises:
        FileNotFoundError: naming the missing folders, the layout and fix.
    """
    missing = [d for d in dirs if not osp.isdir(d)]
    if missing:
        raise FileNotFoundError(
            f'{root!r} is not in the expected layout: missing folder(s) '
            f'{missing}. Expected {layout}. {fix}')


def list_stems(folder: str, suffix: str) -> Dict[str, str]:
    """File stems (name without ``suffix``) of one folder's files.

    Args:
        folder (str): The folder (not searched recursively).
        suffix (str): The file suffix, e.g. ``'.png'``.

    Returns:
        dict[str, str]: stem -> file name, for names ending in ``suffix``.
    """
    return {
        name[:-len(suffix)]: name
        for name in os.listdir(folder) if name.endswith(suffix)
    }


def check_pairs(img_stems: Iterable[str], ann_stems: Iterable[str],
                img_dir: str, ann_dir: str, suffix: str) -> None:
    """Raise unless every image has a label file and vice versa.

    Args:
        img_stems (Iterable[str]): Stems of the image files.
        ann_stems (Iterable[str]): Stems of the label files.
        img_dir (str): The image folder (for the message).
        ann_dir (str): The label folder (for the message).
        suffix (str): The label / image suffix (for the message).

    Raises:
        FileNotFoundError: naming up to five unpaired files.
    """
    img_stems, ann_stems = set(img_stems), set(ann_stems)
    no_label = sorted(img_stems - ann_stems)
    no_image = sorted(ann_stems - img_stems)
    if no_label:
        shown = [osp.join(img_dir, s + suffix) for s in no_label[:5]]
        raise FileNotFoundError(
            f'{len(no_label)} image(s) have no label file in {ann_dir!r}, '
            f'e.g. {shown}. Each image needs a label PNG of the same name; '
            'add the labels or remove those images.')
    if no_image:
        shown = [osp.join(ann_dir, s + suffix) for s in no_image[:5]]
        raise FileNotFoundError(
            f'{len(no_image)} label file(s) have no image in {img_dir!r}, '
            f'e.g. {shown}. Each label needs an image of the same name; '
            'add the images or remove those labels.')


def check_label_values(paths: Sequence[str], valid: Sequence[int],
                       meaning: str, fix: str) -> None:
    """Raise if a label PNG is not single-channel or holds other values.

    Every file is decoded once (``np.bincount`` over its pixels), which
    costs about as much as one epoch of label loading without the images.

    Args:
        paths (Sequence[str]): Label files.
        valid (Sequence[int]): The raw values allowed (classes and void).
        meaning (str): What the valid values mean (for the message).
        fix (str): How to repair the labels (for the message).

    Raises:
        ValueError: naming the first bad file and its unexpected values.
    """
    allowed = np.zeros(256, dtype=bool)
    allowed[list(valid)] = True
    for path in paths:
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if label is None:
            raise ValueError(f'Cannot read label file {path!r}. {fix}')
        if label.ndim != 2 or label.dtype != np.uint8:
            raise ValueError(
                f'Label file {path!r} has shape {label.shape} and dtype '
                f'{label.dtype}; expected a single-channel 8-bit PNG of '
                f'class indices ({meaning}), not a colour-coded image. '
                f'{fix}')
        present = np.flatnonzero(np.bincount(label.ravel(), minlength=256))
        bad: List[int] = [int(v) for v in present if not allowed[v]]
        if bad:
            raise ValueError(
                f'Label file {path!r} holds value(s) {bad} outside the '
                f'allowed {meaning}. {fix} (or pass check_labels=False to '
                'skip this scan if the pipeline maps them itself).')
