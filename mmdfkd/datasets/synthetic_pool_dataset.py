"""An exported synthetic pool as an ordinary mmpretrain dataset."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmdfkd.registry import DATASETS
from mmdfkd.utils.pool_format import file_sha256, read_pool


@DATASETS.register_module()
class SyntheticPoolDataset(BaseDataset):
    """Images of a pool folder written by ``SyntheticPool.save`` or
    ``tools/synthesize.py``.

    The folder (:mod:`mmdfkd.utils.pool_format`, ``docs/pool_format.md``)
    is verified and read once, when
    the dataset is initialised (meta.json present, every shard's sha256,
    the fingerprint against ``expected_fingerprint``); the images stay in
    one CPU tensor in the pool's store dtype. Items need no file IO.

    Each sample handed to the pipeline is a dict with

    - ``img``: ``np.float32`` array H×W×C in pixel space (a copy: the
      pipeline may change it in place),
    - ``img_shape`` / ``ori_shape``: ``(H, W)``,
    - ``gt_label``: the stored label (the teacher's argmax at synthesis
      time), or ``-1`` when the pool has no labels (then do not train
      with a supervised loss on it),
    - ``pool_idx``: the image's index in the pool (oldest first).

    ``get_data_info(i)`` holds everything but ``img``, which joins in
    ``prepare_data`` (so ``get_gt_labels`` copies no image).

    Example (mmpretrain; ``ClsDataPreprocessor`` normalises the float
    images like real ones)::

        train_dataloader = dict(
            batch_size=128,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='mmdfkd.SyntheticPoolDataset',
                pool_dir='work_dirs/pool_deepinv',
                teacher_ckpt='work_dirs/digits_teacher/teacher.pth',
                expected_fingerprint=dict(image_shape=[1, 8, 8]),
                metainfo=dict(classes=[str(i) for i in range(10)]),
                pipeline=[dict(type='mmpretrain.PackInputs')]))

    mmseg: the same dict with ``pipeline=[dict(type='mmseg.PackSegInputs')]``
    gives ``inputs`` (float images) and segmentation data samples, enough
    to run a segmentor's ``predict`` or a teacher that makes its own
    targets. A pool keeps one label per image, never a per-pixel map, so
    no ``gt_seg_map`` is produced: supervised mmseg training
    (``mmseg``'s ``loss``) on a pool is not supported.

    Args:
        pool_dir (str): The pool folder; relative to ``data_root`` if that
            is given.
        expected_fingerprint (dict, optional): Fingerprint entries that
            must match (:func:`~mmdfkd.utils.pool_format.read_pool`'s
            ``expected``); a pool
            written by ``tools/synthesize.py`` records ``teacher_sha256``,
            ``image_shape`` (C, H, W), ``config`` and ``pixel_range``.
            Defaults to None (not checked).
        teacher_ckpt (str, optional): The teacher checkpoint the pool must
            have been synthesized with: adds its sha256 as
            ``teacher_sha256`` to ``expected_fingerprint``. Defaults to
            None.
        pipeline (Sequence): Transforms. Defaults to ().
        test_mode (bool): Defaults to False.
        metainfo (dict, optional): E.g. ``dict(classes=...)``. Optional.
        data_root (str): Defaults to ''.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``indices``, ``serialize_data``, ``lazy_init``, ``classes``).
    """

    def __init__(self,
                 pool_dir: str,
                 expected_fingerprint: Optional[dict] = None,
                 teacher_ckpt: Optional[str] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 **kwargs):
        for key in ('ann_file', 'data_prefix'):
            if kwargs.pop(key, None):
                raise ValueError(f'SyntheticPoolDataset takes no {key!r}: '
                                 'the images come from pool_dir')
        pool_dir = os.fspath(pool_dir)
        if data_root and not osp.isabs(pool_dir):
            pool_dir = osp.join(data_root, pool_dir)
        self.pool_dir = pool_dir
        if teacher_ckpt is not None:
            if not osp.isfile(teacher_ckpt):
                raise FileNotFoundError(
                    f'SyntheticPoolDataset: teacher_ckpt {teacher_ckpt!r} '
                    'does not exist (the teacher whose pool this is)')
            expected_fingerprint = dict(
                expected_fingerprint or {},
                teacher_sha256=file_sha256(teacher_ckpt))
        self.expected_fingerprint = expected_fingerprint
        self.pool_meta: Optional[dict] = None
        self._images = None
        super().__init__(
            ann_file='',
            metainfo=metainfo,
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Verify and load the pool; one small info dict per image."""
        images, labels, self.pool_meta = read_pool(
            self.pool_dir,
            expected=self.expected_fingerprint,
            map_location='cpu')
        self._images = images  # N×C×H×W, store dtype, CPU
        if images is None:
            return []
        height, width = images.shape[2:]
        label_list = (labels.tolist() if labels is not None else
                      [-1] * images.shape[0])
        return [
            dict(
                pool_idx=i,
                gt_label=int(label),
                img_shape=(height, width),
                ori_shape=(height, width))
            for i, label in enumerate(label_list)
        ]

    def prepare_data(self, idx: int):
        """The pipeline's output for item ``idx`` (``img`` added here)."""
        data_info = self.get_data_info(idx)
        image = self._images[data_info['pool_idx']]
        data_info['img'] = np.array(
            image.permute(1, 2, 0).numpy(),
            dtype=np.float32, order='C', copy=True)
        return self.pipeline(data_info)

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        body = [f'Pool dir: \t{self.pool_dir}']
        if self.pool_meta is not None:
            body.append(f"Image shape: \t{self.pool_meta['image_shape']}")
            body.append(f"Stored as: \t{self.pool_meta['dtype']}")
        return body
