"""FedGen vs FedAvg, in-process: Fashion-MNIST when its files are there,
the bundled digits otherwise.

Default: configs/federated/fedgen_fashion_mnist.py (K = 20 clients,
Dirichlet alpha = 0.1) when ``data/fashion_mnist`` holds the official IDX
files (``make data-fashion-mnist``); else configs/federated/
fedgen_digits.py (K = 10, alpha = 0.1), and the output says so. Both
methods run the same rounds from the same initial model and split, for
every seed; the FINAL global model of each run is measured on the test
split (and on val, the split used for any tuning). Writes
``<work-dir>/summary.json`` with ``fedgen_accuracy`` / ``fedavg_accuracy``
(test, percent, mean over seeds), ``fedgen_std`` / ``fedavg_std``
(sample std over seeds), ``dataset``, ``alpha`` and the per-seed figures.

Usage: ``python tools/demo_fedgen.py`` (``make demo-fedgen``).
"""
import argparse
import json
import os
import os.path as osp
import time

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction

from mmdfkd.federated.benchmark import gap, run_grid, summarise
from mmdfkd.federated.data import load_split

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FASHION = osp.join(ROOT, 'configs/federated/fedgen_fashion_mnist.py')
DIGITS = osp.join(ROOT, 'configs/federated/fedgen_digits.py')
METHODS = ('fedgen', 'fedavg')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config',
        help='FL config (default: Fashion-MNIST when its files are there, '
        'digits otherwise)')
    parser.add_argument('--work-dir', default='work_dirs/demo_fedgen')
    parser.add_argument(
        '--seeds', type=int, nargs='+', help='overrides the config seeds')
    parser.add_argument(
        '--workers', type=int, default=2,
        help='runs at a time, one process and one thread each (default: '
        '2, one per core of a 2-core machine)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. rounds=20 local.steps=10')
    return parser.parse_args(argv)


def pick_config(explicit=None):
    """``(config path, note)``: the explicit config, else Fashion-MNIST
    when its files load, else digits with the reason."""
    if explicit:
        return explicit, f'config {explicit}'
    try:
        load_split(Config.fromfile(FASHION).data, 'test')
    except FileNotFoundError as exc:
        return DIGITS, ('Fashion-MNIST is not there, so this runs the '
                        f'DIGITS setting instead ({exc})')
    return FASHION, 'Fashion-MNIST found: running its setting'


def main(argv=None) -> dict:
    args = parse_args(argv)
    config, note = pick_config(args.config)
    print(note, flush=True)
    cfg = Config.fromfile(config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    seeds = args.seeds or list(cfg.seeds)
    alpha = cfg.partition.alpha
    start = time.perf_counter()
    records = run_grid(cfg, [alpha], seeds, METHODS, ('val', 'test'),
                       ('val', ), osp.join(args.work_dir, 'runs'),
                       workers=args.workers,
                       log=lambda line: print(line, flush=True))
    row = summarise(records, [alpha], METHODS, ('val', 'test'))[f'{alpha:g}']
    per_seed = {
        m: [
            dict(seed=r['seed'],
                 test_accuracy=r['test_accuracy'],
                 val_accuracy=r['val_accuracy'],
                 val_curve=r['curves']['val'],
                 seconds=r['seconds']) for r in records if r['method'] == m
        ]
        for m in METHODS
    }
    summary = dict(
        **{f'{m}_accuracy': row[m]['test']['mean']
           for m in METHODS},
        **{f'{m}_std': row[m]['test']['std']
           for m in METHODS},
        **{f'{m}_val_accuracy': row[m]['val']['mean']
           for m in METHODS},
        dataset=cfg.data.type,
        alpha=alpha,
        fedgen_vs_fedavg=gap(row['fedgen']['test'], row['fedavg']['test'],
                             'test'),
        reported_model='final global model after the last round',
        accuracy_split='test (mean and sample std over seeds, percent)',
        seeds=seeds,
        rounds=cfg.rounds,
        num_clients=cfg.partition.num_clients,
        per_seed=per_seed,
        config=osp.relpath(config, ROOT)
        if osp.abspath(config).startswith(ROOT) else config,
        note=note,
        workers=args.workers,
        seconds=round(time.perf_counter() - start, 1))
    os.makedirs(args.work_dir, exist_ok=True)
    path = osp.join(args.work_dir, 'summary.json')
    with open(path, 'w') as f:
        json.dump(summary, f, indent=2)
    print(f"{cfg.data.type}, Dirichlet alpha {alpha:g}: FedGen "
          f"{summary['fedgen_accuracy']:.2f} ± {summary['fedgen_std']:.2f} % "
          f"vs FedAvg {summary['fedavg_accuracy']:.2f} ± "
          f"{summary['fedavg_std']:.2f} % (test, final global model, seeds "
          f'{seeds}); written to {path}')
    return summary


if __name__ == '__main__':
    main()
