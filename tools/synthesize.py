"""Export a synthetic pool: run the synthesis rounds of a pool-based
data-free config (e.g. ``configs/deepinv_digits.py``) against a teacher and
save the pool in mmdfkd's verified format (``docs/pool_format.md``), for
``SyntheticPoolDataset`` in ordinary mmpretrain configs or for quantization
calibration.

Usage: ``python tools/synthesize.py CONFIG --teacher-ckpt T.pth --out DIR
--num-images 2048``. Loss terms that read a student are dropped: there is no
student being trained here.
"""
import argparse
import os.path as osp

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from mmdfkd.models.synthesizers import PoolSynthesizer
from mmdfkd.registry import DATASETS, MODELS
from mmdfkd.utils.pool_format import file_sha256


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export a synthetic pool')
    parser.add_argument('config', help='a pool-based data-free config')
    parser.add_argument('--teacher-ckpt', required=True)
    parser.add_argument('--out', required=True, help='pool folder to write')
    parser.add_argument('--num-images', type=int, default=1024)
    parser.add_argument('--batch-size', type=int, default=None,
                        help='images per synthesized batch (default: the '
                        "config's global batch, train_dataloader.batch_size)")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='overrides for the config')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.teacher_ckpt = args.teacher_ckpt
    terms = {}
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmdfkd')):
        for name, term_cfg in cfg.model.generator_losses.items():
            if not MODELS.get(term_cfg['type']).needs_student:
                terms[name] = term_cfg
        cfg.model.generator_losses = terms
        model = MODELS.build(cfg.model)
        latents = DATASETS.build(cfg.train_dataloader.dataset)
    synthesizer = model.synthesizer
    if not isinstance(synthesizer, PoolSynthesizer):
        raise ValueError(f'{args.config} uses an online generator: only '
                         'pool-based configs (a synthesis phase) export pools')
    pool = synthesizer.pool
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).train()
    torch.manual_seed(args.seed)
    batch = args.batch_size or cfg.train_dataloader.batch_size
    start = 0
    while len(pool) < args.num_images:
        n = min(batch, args.num_images - len(pool))
        items = torch.utils.data.default_collate(
            [latents[i] for i in range(start, start + n)])
        start += n
        z, labels = model.round_latents(items)
        # drawn labels, e.g. for OneHotLoss
        log = synthesizer.step(model, z[:, 0],
                               None if labels is None else labels[:, 0])
        print_log(f"{len(pool)}/{args.num_images} images, loss "
                  f"{float(log['synthesis.loss']):.4f}, diversity "
                  f"{float(log['synthesis.diversity']):.3f}, class balance "
                  f"{float(log['synthesis.class_balance']):.3f}",
                  logger='current')
    fingerprint = dict(
        teacher_sha256=file_sha256(args.teacher_ckpt),
        image_shape=list(pool.image_shape),
        config=osp.basename(args.config),
        pixel_range=list(synthesizer.pixel_range))
    pool.save(args.out, fingerprint=fingerprint)
    print_log(f'pool of {len(pool)} images written to {args.out}',
              logger='current')
    return args.out


if __name__ == '__main__':
    main()
