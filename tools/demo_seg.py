"""The embedded segmentation default: data-free DDAD on street scenes.

1. Writes synthetic street scenes (CamVid's 11 classes and SegNet folder
   layout) to disk, unless they are there already.
2. Trains the small DeepLabV3 teacher on their train split with the
   standard runner (or reuses its cached weights).
3. Distils a quarter-width DeepLabV3 student (ResNetV1c-18 at 8 base
   channels) with DDAD: no training image is read, only latent batches.
4. Evaluates teacher and the final student (mIoU, mmseg's IoUMetric) on
   the held-out test split and writes ``<work-dir>/summary.json``.

Usage: ``python tools/demo_seg.py`` (``make demo-seg``).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmdfkd.datasets.street_scenes import write_street_scenes
from mmdfkd.engine import build_runner, train_teacher_weights

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER_CONFIG = osp.join(ROOT, 'configs/teachers/deeplabv3_street_scenes.py')
METHOD = 'ddad'
CONFIG = 'configs/ddad_deeplabv3_street_scenes.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo_seg')
    parser.add_argument('--data-root', default='data/street_scenes')
    parser.add_argument(
        '--teacher-dir', default='work_dirs/street_scenes_teacher')
    parser.add_argument(
        '--scenes',
        type=int,
        nargs=3,
        default=(400, 80, 80),
        metavar=('TRAIN', 'VAL', 'TEST'),
        help='scenes per split when they are written (default: '
        '%(default)s)')
    parser.add_argument(
        '--teacher-cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the teacher training config')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the distillation config')
    args = parser.parse_args(argv)
    if min(args.scenes) < 1:
        parser.error('--scenes needs at least one scene per split')
    return args


def ensure_scenes(root: str, counts) -> None:
    """Write the scenes unless every split folder is there."""
    splits = ('train', 'val', 'test')
    if all(osp.isdir(osp.join(root, s + a)) for s in splits
           for a in ('', 'annot')):
        print(f'[demo-seg] reusing the street scenes in {root}')
        return
    print(f'[demo-seg] writing {counts} train/val/test street scenes to '
          f'{root}')
    write_street_scenes(root, *counts, size=(64, 64), seed=0)


def with_data_root(cfg: Config, root: str) -> None:
    for key in LOADERS:
        if 'data_root' in cfg[key].dataset:
            cfg[key].dataset.data_root = root


def teacher_cfg(data_root: str, options) -> Config:
    cfg = Config.fromfile(TEACHER_CONFIG)
    with_data_root(cfg, data_root)
    cfg.merge_from_dict(dict(options or {}))
    return cfg


def ensure_teacher(teacher_dir: str, data_root: str, options) -> str:
    """Train the teacher unless its weights are cached; return their path."""
    path = osp.join(teacher_dir, 'teacher.pth')
    if osp.isfile(path):
        print(f'[demo-seg] reusing the teacher in {path}')
        return path
    print('[demo-seg] training the teacher on the train split')
    cfg = teacher_cfg(data_root, options)
    cfg.work_dir = teacher_dir
    return train_teacher_weights(cfg, path)


def test_miou(runner: Runner) -> float:
    return float(runner.test()['mIoU'])


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    data_root = osp.abspath(args.data_root)
    ensure_scenes(data_root, args.scenes)
    teacher_ckpt = ensure_teacher(args.teacher_dir, data_root,
                                  args.teacher_cfg_options)
    teacher_seconds = time.time() - start

    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    with_data_root(cfg, data_root)
    cfg.merge_from_dict(dict(args.cfg_options or {}))
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.work_dir = osp.join(args.work_dir, METHOD)
    distill_start = time.time()
    runner = build_runner(cfg)
    runner.train()
    distill_seconds = time.time() - distill_start
    student_miou = test_miou(runner)
    hub = runner.message_hub

    tcfg = teacher_cfg(data_root, args.teacher_cfg_options)
    tcfg.work_dir = osp.join(args.work_dir, 'teacher_eval')
    tcfg.load_from = teacher_ckpt
    teacher_miou = test_miou(build_runner(tcfg))  # loaded strictly
    health = hub.get_info('training_health')

    summary = dict(
        method=METHOD,
        teacher_miou=teacher_miou,
        student_miou=student_miou,
        student_to_teacher=student_miou / max(teacher_miou, 1e-12),
        # never shown unexplained: both loaded strictly, same split
        ratio_note=None if student_miou <= 1.05 * teacher_miou else (
            'the student beats its teacher by more than 5 % on the same '
            'test scenes with strictly loaded weights: the teacher is weak'),
        healthy=bool(health['healthy']),
        problems=health['problems'],
        training_health=health,
        evaluated_on=f'test split ({args.scenes[2]} held-out scenes), '
        'final student (its moving average; no checkpoint selection)',
        teacher_seconds=round(teacher_seconds, 1),
        distill_seconds=round(distill_seconds, 1),
        seconds=round(time.time() - start, 1),
        student_checkpoint=hub.get_info('student_checkpoint'),
        synthetic_grid=hub.get_info('synthetic_grid'),
        prediction_grid=hub.get_info('seg_prediction_grid'),
        config=CONFIG,
    )
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'[demo-seg] {METHOD}: teacher mIoU {teacher_miou:.2f}, student '
          f'{student_miou:.2f} ({100 * summary["student_to_teacher"]:.1f} % '
          f'of the teacher) on the test split, {summary["seconds"]} s')
    if summary['ratio_note']:
        print(f'[demo-seg] note: {summary["ratio_note"]}')
    if not summary['healthy']:
        print('[demo-seg] FAILED: this run does not count as a success: ' +
              '; '.join(summary['problems']))
    print(f'[demo-seg] summary: {osp.join(args.work_dir, "summary.json")}')
    return summary


if __name__ == '__main__':
    sys.exit(0 if main()['healthy'] else 1)
