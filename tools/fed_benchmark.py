"""Federated benchmark: FedAvg, FedProx and FedGen over Dirichlet label
skews and seeds, in-process.

Every (alpha, seed) pair gives all methods the same split, initial model,
rounds, local steps and batch size (configs/federated/
fedgen_fashion_mnist.py: K = 20 clients on Fashion-MNIST). The FINAL
global model of each run is measured; the accuracy after every round is
kept for the curves. Each run is written to ``<work-dir>/runs/`` as soon
as it ends and skipped when found there, so an interrupted grid resumes.
Then ``summary.json`` (mean ± sample std over seeds, FedGen's gap to
FedAvg), ``results.md`` (the table) and ``curves_alpha<alpha>.png``
(accuracy against round, mean over seeds with a ±1 std band) are
written.

``--splits val`` measures the validation split only: the mode for
choosing hyper-parameters (the test split is never read then).

Usage::

    python tools/fed_benchmark.py                       # the full grid
    python tools/fed_benchmark.py --splits val --alphas 0.1 --seeds 0 \\
        --work-dir work_dirs/fed_select/x --cfg-options server.reg_weight=1
"""
import argparse
import json
import os
import os.path as osp
import time

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction

from mmdfkd.federated.benchmark import (markdown_table, plot_curves,
                                        run_grid, summarise)
from mmdfkd.federated.experiment import METHODS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config',
        default=osp.join(ROOT, 'configs/federated/fedgen_fashion_mnist.py'))
    parser.add_argument('--work-dir', default='work_dirs/fed_benchmark')
    parser.add_argument(
        '--alphas', type=float, nargs='+', default=[0.05, 0.1, 1.0])
    parser.add_argument(
        '--seeds', type=int, nargs='+', help='default: the config seeds')
    parser.add_argument(
        '--methods', nargs='+', choices=METHODS,
        default=['fedavg', 'fedprox', 'fedgen'])
    parser.add_argument(
        '--splits', nargs='+', choices=['val', 'test'],
        default=['val', 'test'],
        help='splits measured at the end; "val" alone for hyper-parameter '
        'selection')
    parser.add_argument(
        '--workers', type=int, default=1,
        help='runs at a time, one process and one thread each')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. rounds=20 local.steps=10')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    seeds = args.seeds or list(cfg.seeds)
    splits = [s for s in ('val', 'test') if s in args.splits]
    # the curves show the last split (test in a benchmark, val when
    # selecting); nothing is selected on them
    curve = splits[-1]
    start = time.perf_counter()
    records = run_grid(cfg, args.alphas, seeds, args.methods, splits,
                       [curve], osp.join(args.work_dir, 'runs'),
                       workers=args.workers,
                       log=lambda line: print(line, flush=True))
    table = summarise(records, args.alphas, args.methods, splits)
    summary = dict(
        table=table,
        reported_model='final global model after the last round',
        splits=splits,
        seeds=seeds,
        methods=args.methods,
        alphas=args.alphas,
        rounds=cfg.rounds,
        num_clients=cfg.partition.num_clients,
        local=dict(cfg.local),
        config=osp.relpath(args.config, ROOT)
        if args.config.startswith(ROOT) else args.config,
        cfg_options=args.cfg_options or {},
        seconds_this_call=round(time.perf_counter() - start, 1),
        seconds_all_runs=round(sum(r['seconds'] for r in records), 1))
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    text = markdown_table(table, args.methods, curve, seeds)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text)
    for alpha in args.alphas:
        title = (f'{cfg.data.type}, K = {cfg.partition.num_clients}, '
                 f'Dirichlet α = {alpha:g}')
        plot_curves(records, alpha, args.methods, curve,
                    osp.join(args.work_dir, f'curves_alpha{alpha:g}.png'),
                    title)
    print(text)
    return summary


if __name__ == '__main__':
    main()
