"""Checks of what a run reads from disk, before the runner builds anything:
dataset folders, the teacher checkpoint, and that the teacher predicts the
dataset's classes. Each failure names what is missing and the command that
produces it."""
import inspect
import os.path as osp
from typing import Iterator, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdfkd.registry import DATASETS

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _datasets(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """(dataloader key, dataset config) of every dataset, wrappers
    (``dataset`` / ``datasets``) unfolded."""
    for key in LOADERS:
        loader = cfg.get(key)
        if not loader or 'dataset' not in loader:
            continue
        stack = [loader['dataset']]
        while stack:
            ds = stack.pop()
            yield key, ds
            if isinstance(ds.get('dataset'), dict):
                stack.append(ds['dataset'])
            stack.extend(d for d in ds.get('datasets', [])
                         if isinstance(d, dict))


def _dataset_class(cfg: Config, ds: dict) -> Optional[type]:
    dtype = ds.get('type')
    if not isinstance(dtype, str):
        return dtype if isinstance(dtype, type) else None
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope') or 'mmdfkd'):
        return DATASETS.get(dtype)


def _downloads(cls: Optional[type], ds: dict) -> bool:
    """Whether the dataset fetches a missing folder itself (e.g.
    mmpretrain's CIFAR with ``download=True``)."""
    if 'download' in ds:
        return bool(ds['download'])
    if cls is None:
        return False
    param = inspect.signature(cls.__init__).parameters.get('download')
    return param is not None and param.default is True


#: How to prepare datasets of other packages (their classes have no
#: ``FIX``), by class name.
FIXES = {
    'ImageNet': ("Put ImageNet-1k there in mmpretrain's layout: val/, "
                 'meta/val.txt (docs/imagenet.md)'),
}


def check_data_roots(cfg: Config) -> None:
    """Raise when a dataloader's ``data_root`` is not a folder.

    The message names the dataloader, the dataset type and folder, and the
    fix: the dataset class's ``FIX`` text when it has one, else its entry
    of :data:`FIXES`. Datasets that
    download a missing folder themselves are left alone.

    Raises:
        FileNotFoundError: for the first missing folder.
    """
    for key, ds in _datasets(cfg):
        root = ds.get('data_root')
        if not root or osp.isdir(root):
            continue
        cls = _dataset_class(cfg, ds)
        if _downloads(cls, ds):
            continue
        fix = getattr(cls, 'FIX', None) or FIXES.get(
            getattr(cls, '__name__', None)) or (
            'Prepare the dataset there (docs/segmentation.md lists the '
            'converters) or set its `data_root`.')
        raise FileNotFoundError(
            f'{key}: the data folder {root!r} of {ds.get("type")} does not '
            f'exist. {fix} (or override it: --cfg-options '
            f'{key}.dataset.data_root=<folder>)')


def check_teacher_checkpoint(cfg: Config) -> None:
    """Raise when a distillation config's ``model.teacher_ckpt`` is not a
    file, naming the config's ``teacher_config``, the exact command that
    writes the file and, where the config names them
    (``teacher_weights_url``), the teacher's published weights.

    Raises:
        FileNotFoundError: when the checkpoint is missing.
    """
    from mmdfkd.models.algorithms.networks import require_teacher_checkpoint
    ckpt = cfg.get('model', {}).get('teacher_ckpt')
    if ckpt:
        require_teacher_checkpoint(ckpt, cfg.get('teacher_config'),
                                   cfg.get('teacher_weights_url'))


def _teacher_classes(cfg: Config) -> Optional[int]:
    from mmdfkd.models.algorithms.networks import network_cfg
    teacher = network_cfg(cfg.model.teacher)
    for head in ('decode_head', 'head'):
        num = (teacher.get(head) or {}).get('num_classes')
        if num is not None:
            return int(num)
    return None


def _dataset_classes(cfg: Config, ds: dict) -> Optional[int]:
    classes = (ds.get('metainfo') or {}).get('classes')
    if classes is None:
        cls = _dataset_class(cfg, ds)
        classes = (getattr(cls, 'METAINFO', None) or {}).get('classes')
    return None if classes is None else len(classes)


def check_class_counts(cfg: Config) -> None:
    """Raise when a distillation config's teacher predicts another number
    of classes than its validation / test datasets have (a segmentation
    teacher's ``decode_head`` or a classifier's ``head``).

    Raises:
        ValueError: naming both counts.
    """
    model = cfg.get('model', {})
    if model.get('type') != 'DataFreeDistiller':
        return
    n_teacher = _teacher_classes(cfg)
    if n_teacher is None:
        return
    for key in ('val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not loader or 'dataset' not in loader:
            continue
        ds = loader['dataset']
        n_data = _dataset_classes(cfg, ds)
        if n_data is not None and n_data != n_teacher:
            raise ValueError(
                f'the teacher predicts {n_teacher} classes but {key}\'s '
                f'{ds.get("type")} has {n_data}: use the teacher trained on '
                'this dataset, or the dataset it was trained on.')


#: Settings of mmdfkd 0.1 configs and where they went in 0.2.
RETIRED = {
    'global_batch_size': (
        'the global batch is train_dataloader.batch_size, split over the '
        "processes by batch_sampler=dict(type='GlobalBatchSampler') (e.g. "
        '--cfg-options train_dataloader.batch_size=16)'),
    'ScheduleSwitchHook': (
        "stages are part of model.schedule: [dict(rounds=<at>, phases=...), "
        "dict(phases=<schedule>, eval_modules=[...])]"),
    'GeneratorResetHook': (
        "MetaSynthesizer's reset_layers=[...] and reset_interval=<interval>"),
    'LossSnapshotHook': "ExpIncrementPenalty's interval=<interval>",
}


def check_retired(cfg: Config) -> None:
    """Raise on settings of mmdfkd 0.1 configs that 0.2 replaced, naming
    the replacement.

    Raises:
        ValueError: for the first one found.
    """
    found = ['global_batch_size'] if 'global_batch_size' in cfg else []
    found += [
        kind for hook in cfg.get('custom_hooks') or []
        if isinstance(hook, dict)
        for kind in [str(hook.get('type', '')).split('.')[-1]]
        if kind in RETIRED
    ]
    if found:
        raise ValueError(
            f'{found[0]} is a setting of mmdfkd 0.1 configs; since 0.2 '
            f'{RETIRED[found[0]]} (docs/architecture.md).')


def preflight(cfg: Config) -> None:
    """Every check above, in the order a user would fix them."""
    check_retired(cfg)
    check_data_roots(cfg)
    check_teacher_checkpoint(cfg)
    check_class_counts(cfg)
