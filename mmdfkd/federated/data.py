"""The federated experiments' data: a labelled dataset's ``train`` /
``val`` / ``test`` splits as image tensors, chosen by the FL config's
``data`` dict (``type='digits'`` or ``type='fashion_mnist'``)."""
import functools
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

#: Data sets an FL config may name, with the keys their ``data`` dict takes.
DATA_TYPES = {'digits': (), 'fashion_mnist': ('root', )}
SPLITS = ('train', 'val', 'test')
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def resolve_path(path: str) -> str:
    """``path``, or, when it is relative and absent from the working
    directory (e.g. a Flower process started elsewhere), the same path
    under the repository root."""
    if osp.isabs(path) or osp.exists(path):
        return path
    return osp.join(ROOT, path)


def digits_tensors(split: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, 1, 8, 8)`` in [0, 1] and labels of a digits split
    (:class:`~mmdfkd.datasets.DigitsDataset`: ``train``, ``val`` or
    ``test``)."""
    from mmdfkd.datasets import DigitsDataset

    data = DigitsDataset(split=split, test_mode=True, serialize_data=False)
    items = [data.get_data_info(i) for i in range(len(data))]
    images = torch.stack(
        [torch.from_numpy(it['img']).permute(2, 0, 1) for it in items])
    labels = torch.tensor([it['gt_label'] for it in items])
    return images.float() / 255.0, labels


@functools.lru_cache(maxsize=2)
def _fashion_mnist_splits(root: str) -> Dict[str, Tuple[np.ndarray,
                                                         np.ndarray]]:
    # read once per process: a benchmark runs many methods and seeds
    from mmdfkd.datasets.fashion_mnist import (fashion_mnist_split_indices,
                                               load_fashion_mnist)

    images, labels = load_fashion_mnist(root, 'train')
    keep = fashion_mnist_split_indices(labels)
    out = {s: (images[keep[s]], labels[keep[s]]) for s in ('train', 'val')}
    out['test'] = load_fashion_mnist(root, 'test')
    return out


def fashion_mnist_tensors(
    split: str,
    root: str = 'data/fashion_mnist',
    indices: Optional[Sequence[int]] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, 1, 28, 28)`` in [0, 1] and labels of a Fashion-MNIST
    split: ``train`` (55,000) and ``val`` (5,000, fixed) from the official
    training part, ``test`` the official 10,000; only ``indices`` of it
    when given (converted alone: a client needs its share only)."""
    images, labels = _fashion_mnist_splits(resolve_path(root))[split]
    if indices is not None:
        images, labels = images[np.asarray(indices)], labels[np.asarray(
            indices)]
    return (torch.from_numpy(images.copy()).unsqueeze(1).float() / 255.0,
            torch.from_numpy(labels.copy()))


def _check(data_cfg: dict, split: str) -> Tuple[str, dict]:
    data_cfg = dict(data_cfg)
    kind = data_cfg.pop('type', None)
    if kind not in DATA_TYPES:
        raise ValueError(f'the FL config\'s data type must be one of '
                         f'{sorted(DATA_TYPES)}, got {kind!r}')
    unknown = set(data_cfg) - set(DATA_TYPES[kind])
    if unknown:
        raise ValueError(f'data type {kind!r} takes {DATA_TYPES[kind]}, '
                         f'not {sorted(unknown)}')
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    return kind, data_cfg


def load_split(
    data_cfg: dict,
    split: str,
    indices: Optional[Sequence[int]] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` of ``split`` of the data set ``data_cfg``
    names.

    Args:
        data_cfg (dict): ``type`` (a key of :data:`DATA_TYPES`) and that
            type's keys (Fashion-MNIST: ``root``, the folder of its IDX
            files, default ``data/fashion_mnist``).
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        indices (Sequence[int], optional): Only these samples of the
            split. Defaults to None (all).
    """
    kind, kwargs = _check(data_cfg, split)
    if kind == 'digits':
        images, labels = digits_tensors(split)
        if indices is None:
            return images, labels
        index = torch.as_tensor(np.asarray(indices))
        return images[index], labels[index]
    return fashion_mnist_tensors(split, indices=indices, **kwargs)


def load_labels(data_cfg: dict, split: str) -> np.ndarray:
    """The labels of ``split`` alone (what a partition is drawn from)."""
    kind, kwargs = _check(data_cfg, split)
    if kind == 'digits':
        return digits_tensors(split)[1].numpy()
    root = resolve_path(kwargs.get('root', 'data/fashion_mnist'))
    return _fashion_mnist_splits(root)[split][1]
