"""Post-training quantization of a classifier (int8 by default), calibrated
on a synthetic pool, real training images or noise ("The Knowledge Within",
Haroush et al., CVPR'20), then float vs quantized accuracy on a real split;
the quantized model is saved and checked by loading it back.

Usage::

    python tools/quantize.py CONFIG CHECKPOINT --calib {pool:DIR,real,noise}
        [--num-calib 512] [--split test] [--out result.json]
        [--weight-bits 8] [--act-bits 8] [--out-model FILE.pt2]

Several calibration sources (``--calib pool:DIR real noise``) and several
precisions (``--weight-bits 8 4 4 --act-bits 8 8 4``: paired by position,
a single value serves every pair) make a sweep: every precision with every
source, in that order, one table; the model, the evaluation split and its
float accuracy are loaded once, and each run is computed exactly as a
separate run of the tool with that source and precision would (the same
calibration draw, observers and files).

``CONFIG`` is an mmpretrain model config (e.g.
``configs/teachers/digits_convnet.py``), ``CHECKPOINT`` its weights
(``state_dict`` entry, loaded with ``weights_only=True``). The model is
wrapped to take pixel-space images (its data preprocessor's normalisation
inside the quantized graph, as a float op before the first quantize node)
and quantized with torchao's PT2E static quantization
(``mmdfkd.engine.quantization``). The quantized model goes to
``--out-model`` (default ``work_dirs/quantize/<checkpoint name>_w<bits>a<
bits>_<source>_seed<seed>.pt2``; an existing file is kept unless
``--overwrite``), is loaded back and must give the same predictions.
Calibration sources:

* ``pool:DIR``: a pool exported by ``tools/synthesize.py``; its fingerprint
  must record the sha256 of ``--pool-teacher-ckpt`` (default:
  ``CHECKPOINT``), else it is refused;
* ``real``: images of the config's train dataset, read with the test
  pipeline (no augmentation);
* ``noise``: Gaussian noise with the data preprocessor's pixel mean / std,
  clipped to ``--pixel-range``.

``--num-calib`` images are drawn without replacement (seed ``--seed``).
``--out`` holds the run's result, or ``{"runs": [...]}`` for a sweep.
Documentation: ``docs/quantization.md``.
"""
import argparse
import json
import os
import os.path as osp
import time
from typing import List, Tuple

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine import quantization as Q
from mmdfkd.utils.pool_format import file_sha256, read_pool
from mmdfkd.registry import DATASETS, MODELS

SPLIT_LOADERS = dict(train='train_dataloader', val='val_dataloader',
                     test='test_dataloader')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Int8 post-training quantization with calibration data')
    parser.add_argument('config', help='an mmpretrain model config')
    parser.add_argument('checkpoint', help='its weights (state_dict)')
    parser.add_argument(
        '--calib', required=True, nargs='+',
        help="calibration sources: 'pool:DIR', 'real' or 'noise' (several: "
        'a run with each)')
    parser.add_argument('--num-calib', type=int, default=512)
    parser.add_argument('--split', default='test', choices=['val', 'test'],
                        help='real split to evaluate on (its dataloader in '
                        'the config)')
    parser.add_argument('--out', help='write the result as JSON here')
    parser.add_argument('--pool-teacher-ckpt',
                        help='checkpoint whose sha256 the pool must record '
                        '(default: CHECKPOINT; give the teacher when '
                        'quantizing a student with its teacher\'s pool)')
    parser.add_argument('--weight-bits', type=int, nargs='+', default=[8],
                        help='weight precisions, 2..8, paired with '
                        '--act-bits by position (default: 8)')
    parser.add_argument('--act-bits', type=int, nargs='+', default=[8],
                        help='activation precisions, 2..8 (default: 8)')
    parser.add_argument('--out-model',
                        help='where the quantized model (.pt2) goes, one '
                        'run only (default: under work_dirs/quantize/)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out-model file')
    parser.add_argument('--weight-observer', default='per-channel',
                        choices=['per-channel', 'per-tensor'])
    parser.add_argument('--act-observer', default='histogram',
                        choices=['histogram', 'minmax'])
    parser.add_argument('--pixel-range', type=float, nargs=2,
                        default=(0., 255.), metavar=('LOW', 'HIGH'),
                        help='clip range of noise images')
    parser.add_argument('--batch-size', type=int, default=64,
                        help='calibration batch size')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for the config')
    args = parser.parse_args(argv)
    if args.num_calib < 1:
        parser.error('--num-calib must be positive')
    for calib in args.calib:
        if not (calib in ('real', 'noise') or calib.startswith('pool:')
                and len(calib) > 5):
            parser.error(f"--calib must be 'pool:DIR', 'real' or 'noise', "
                         f'got {calib!r}')
    for flag in ('weight_bits', 'act_bits'):
        if not all(2 <= bits <= 8 for bits in getattr(args, flag)):
            parser.error(f'--{flag.replace("_", "-")} must be in 2..8')
    weights, acts = args.weight_bits, args.act_bits
    if len(weights) != len(acts) and 1 not in (len(weights), len(acts)):
        parser.error(f'--weight-bits {weights} and --act-bits {acts} pair '
                     'by position: give as many of each, or one value of '
                     'either')
    n = max(len(weights), len(acts))
    args.precisions = list(zip(weights * n if len(weights) == 1 else weights,
                               acts * n if len(acts) == 1 else acts))
    args.runs = [(w, a, calib) for w, a in args.precisions
                 for calib in args.calib]
    if args.out_model is not None and len(args.runs) > 1:
        parser.error(f'--out-model names one file, and these arguments make '
                     f'{len(args.runs)} runs: leave it out (each run goes to '
                     'its own file under work_dirs/quantize/)')
    args.out_models = [args.out_model or default_out_model(args, *run)
                       for run in args.runs]
    existing = [p for p in args.out_models if osp.exists(p)]
    if existing and not args.overwrite:
        parser.error(f'{", ".join(existing)} exists; pass --overwrite to '
                     'replace it, or another --out-model')
    return args


def default_out_model(args, weight_bits: int, act_bits: int,
                      calib: str) -> str:
    """``work_dirs/quantize/<checkpoint name>_w<bits>a<bits>_<source>_seed
    <seed>.pt2``."""
    stem = osp.splitext(osp.basename(args.checkpoint))[0]
    source = calib.split(':')[0]
    return osp.join(
        'work_dirs', 'quantize',
        f'{stem}_w{weight_bits}a{act_bits}_{source}_seed{args.seed}.pt2')


def build_model(cfg: Config, checkpoint: str) -> torch.nn.Module:
    """The config's model with the checkpoint's ``state_dict`` (strict),
    on CPU, in eval mode."""
    model = MODELS.build(cfg.model)
    state = load_untrusted_checkpoint(checkpoint)
    state = state.get('state_dict', state)
    model.load_state_dict(state, strict=True)
    return model.cpu().eval()


def load_split(cfg: Config, split: str, num=None, seed=0, pipeline=None):
    """Images (float N×C×H×W, pixel space) and labels of a split's dataset.

    Args:
        cfg (Config): The config.
        split (str): ``'train'``, ``'val'`` or ``'test'`` (its dataloader).
        num (int, optional): Draw this many items without replacement.
        seed (int): Seed of the draw.
        pipeline (list, optional): Replaces the dataset's pipeline.
    """
    loader = cfg.get(SPLIT_LOADERS[split])
    if loader is None:
        raise ValueError(f'the config has no {SPLIT_LOADERS[split]}')
    ds_cfg = loader.dataset.copy()
    if pipeline is not None:
        ds_cfg.pipeline = pipeline
    dataset = DATASETS.build(ds_cfg)
    indices = range(len(dataset))
    if num is not None:
        if num > len(dataset):
            raise ValueError(f'--num-calib {num} exceeds the {len(dataset)} '
                             f'images of the {split} split')
        gen = torch.Generator().manual_seed(seed)
        indices = torch.randperm(len(dataset), generator=gen)[:num].tolist()
    images, labels = [], []
    for i in indices:
        item = dataset[i]
        images.append(item['inputs'].float())
        labels.append(int(item['data_samples'].gt_label))
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64)


def calibration_images(args, calib: str, cfg: Config,
                       wrapper: Q.PixelSpaceModel,
                       image_shape) -> torch.Tensor:
    """``args.num_calib`` pixel-space calibration images from the source
    ``calib`` (``'pool:DIR'``, ``'real'`` or ``'noise'``)."""
    if calib == 'real':
        test_pipeline = cfg.get(SPLIT_LOADERS[args.split]).dataset.get(
            'pipeline')
        images, _ = load_split(cfg, 'train', args.num_calib, args.seed,
                               pipeline=test_pipeline)
        return images
    if calib == 'noise':
        norm = wrapper.normalization
        channels = image_shape[0]
        mean = (torch.zeros(channels) if norm.mean is None else
                norm.mean.flatten())
        std = (torch.ones(channels) if norm.std is None else
               norm.std.flatten())
        return Q.gaussian_noise_images(
            args.num_calib, image_shape, mean, std,
            tuple(args.pixel_range), args.seed)
    pool_dir = calib[len('pool:'):]
    ckpt = args.pool_teacher_ckpt or args.checkpoint
    images, _, meta = read_pool(
        pool_dir, expected=dict(teacher_sha256=file_sha256(ckpt)))
    shape = tuple(meta['image_shape'] or ())
    if shape != tuple(image_shape):
        raise ValueError(f'the pool holds {shape} images, the '
                         f'evaluation split {tuple(image_shape)}')
    num = 0 if images is None else len(images)
    if args.num_calib > num:
        raise ValueError(f'--num-calib {args.num_calib} exceeds the '
                         f'{num} images of the pool {pool_dir}')
    gen = torch.Generator().manual_seed(args.seed)
    pick = torch.randperm(num, generator=gen)[:args.num_calib]
    return images[pick].float()


def quantize_run(args, wrapper: Q.PixelSpaceModel, images: torch.Tensor,
                 labels: torch.Tensor, fp: dict, calib: torch.Tensor,
                 run: Tuple[int, int, str], out_model: str) -> dict:
    """One precision and calibration source: quantize, evaluate against
    the float model's ``fp``, save to ``out_model``, load back."""
    weight_bits, act_bits, source = run
    qmodel = Q.quantize_static(
        wrapper, Q.batches(calib, args.batch_size), calib[:2],
        weight_bits=weight_bits, activation_bits=act_bits,
        weight=args.weight_observer, activation=args.act_observer)
    if not Q.is_quantized(qmodel):
        raise RuntimeError('the converted model holds no int8 weights')
    q8 = Q.evaluate(qmodel, images, labels, reference=fp['predictions'],
                    reference_logits=fp['logits'])
    Q.save_quantized(qmodel, calib[:2], out_model)
    saved = Q.evaluate(Q.load_quantized(out_model), images, labels)
    if not torch.equal(saved['predictions'], q8['predictions']):
        raise RuntimeError(f'{out_model} loaded back predicts '
                           'differently from the model that was saved')
    return dict(
        float_accuracy=fp['accuracy'],
        quantized_accuracy=q8['accuracy'],
        saved_model=out_model,
        saved_model_accuracy=saved['accuracy'],
        weight_bits=weight_bits,
        act_bits=act_bits,
        agreement=q8['agreement'],
        logit_sqnr_db=q8['sqnr_db'],
        calibration=source,
        num_calib=int(calib.shape[0]),
        split=args.split,
        num_eval=int(images.shape[0]),
        weight_observer=args.weight_observer,
        act_observer=args.act_observer,
        quantization=Q.QUANTIZATION_PATH,
        config=args.config,
        checkpoint=args.checkpoint,
        seed=args.seed)


def print_results(args, results: List[dict]) -> None:
    first = results[0]
    print(f'| model | {args.split} accuracy ({first["num_eval"]} images) | '
          'agreement with float | logit SQNR |')
    print('|---|---|---|---|')
    print(f'| float | {first["float_accuracy"]:.2f} % | | |')
    for r in results:
        print(f'| w{r["weight_bits"]}a{r["act_bits"]} ({r["calibration"]}, '
              f'{r["num_calib"]} images) | {r["quantized_accuracy"]:.2f} % '
              f'| {r["agreement"]:.2f} % | {r["logit_sqnr_db"]:.2f} dB |')
    print(f'{Q.QUANTIZATION_PATH}, weights {args.weight_observer}, '
          f'activations {args.act_observer}')
    for r in results:
        print(f'saved: {r["saved_model"]} (loaded back: '
              f'{r["saved_model_accuracy"]:.2f} %, {r["seconds"]} s)')


def main(argv=None) -> dict:
    """The result of the run (a dict), or ``{'runs': [...]}`` for a
    sweep; each result's ``seconds`` counts its own work and the set-up
    (model, split, float accuracy) that a sweep shares."""
    args = parse_args(argv)
    start = time.time()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmdfkd')):
        model = build_model(cfg, args.checkpoint)
        wrapper = Q.PixelSpaceModel(model, cfg.model).eval()
        images, labels = load_split(cfg, args.split)
        # every source is checked before the first (long) quantization
        calibs = {calib: calibration_images(args, calib, cfg, wrapper,
                                            images.shape[1:])
                  for calib in args.calib}
    fp = Q.evaluate(wrapper, images, labels)
    setup = time.time() - start

    results = []
    for run, out_model in zip(args.runs, args.out_models):
        run_start = time.time()
        result = quantize_run(args, wrapper, images, labels, fp,
                              calibs[run[2]], run, out_model)
        result['seconds'] = round(setup + time.time() - run_start, 1)
        results.append(result)
    print_results(args, results)
    out = results[0] if len(results) == 1 else dict(runs=results)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=2)
            f.write('\n')
    return out


if __name__ == '__main__':
    main()
