"""Federated benchmark: FedAvg, FedProx and FedGen over Dirichlet label
skews and seeds, in-process.

Every (alpha, seed) pair gives all methods the same split, initial model,
rounds, local steps and batch size (configs/federated/
fedgen_fashion_mnist.py: K = 20 clients on Fashion-MNIST). The FINAL
global model of each run is measured; the accuracy after every round is
kept for the curves. Each run is written to ``<work-dir>/runs/`` as soon
as it ends and skipped when found there, so an interrupted grid resumes.
Then ``summary.json`` (mean ± sample std over seeds), ``results.md`` (the
table) and ``curves_alpha<alpha>.png`` (accuracy against round, mean over
seeds with a ±1 std band) are written.

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
import numpy as np
from mmengine.config import Config, DictAction

from mmdfkd.federated.experiment import METHODS, run_method

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NAMES = dict(fedavg='FedAvg', fedprox='FedProx', fedgen='FedGen')


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
        help='splits measured (every round and at the end); "val" alone '
        'for hyper-parameter selection')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. rounds=20 local.steps=10')
    return parser.parse_args(argv)


def run_name(method: str, alpha: float, seed: int) -> str:
    return f'{method}_alpha{alpha:g}_seed{seed}'


def run_one(cfg, method: str, alpha: float, seed: int,
            splits) -> dict:
    """One run's record: final accuracies, per-round curves, losses."""
    cfg = Config(cfg.to_dict())  # the partition's alpha is per run
    cfg.partition.alpha = alpha
    out = run_method(cfg, method, seed, eval_splits=splits,
                     curve_splits=splits)
    return dict(
        method=method,
        alpha=alpha,
        seed=seed,
        **{f'{s}_accuracy': out[f'{s}_accuracy']
           for s in splits},
        curves={
            s: [round(log.metrics[f'{s}_accuracy'], 2) for log in out['logs']]
            for s in splits
        },
        round_metrics=[{
            k: round(v, 4)
            for k, v in log.metrics.items() if not k.endswith('_accuracy')
        } for log in out['logs']],
        seconds=round(out['seconds'], 1))


def mean_std(values) -> dict:
    """Mean and sample standard deviation (ddof = 1; 0 for one value)."""
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return dict(mean=float(values.mean()), std=std, n=int(values.size))


def summarise(records, alphas, methods, splits) -> dict:
    """Mean ± std per (alpha, method) and, against FedAvg, FedGen's gap
    both unpaired (gap over twice the larger std) and paired over seeds
    (mean difference over twice the std of the differences)."""
    table = {}
    for alpha in alphas:
        row = {}
        for method in methods:
            runs = sorted((r for r in records
                           if r['alpha'] == alpha and r['method'] == method),
                          key=lambda r: r['seed'])
            row[method] = {
                s: dict(mean_std([r[f'{s}_accuracy'] for r in runs]),
                        per_seed={r['seed']: r[f'{s}_accuracy']
                                  for r in runs})
                for s in splits
            }
        if 'fedgen' in methods and 'fedavg' in methods:
            split = splits[-1]
            gen, avg = row['fedgen'][split], row['fedavg'][split]
            seeds = sorted(set(gen['per_seed']) & set(avg['per_seed']))
            diff = [gen['per_seed'][s] - avg['per_seed'][s] for s in seeds]
            paired = mean_std(diff)
            gap = gen['mean'] - avg['mean']
            row['fedgen_vs_fedavg'] = dict(
                split=split,
                gap=gap,
                two_std=2 * max(gen['std'], avg['std']),
                beats_by_two_std=bool(gap > 2 * max(gen['std'],
                                                    avg['std'])),
                paired_diffs=diff,
                paired_two_std=2 * paired['std'],
                paired_beats_by_two_std=bool(
                    paired['n'] > 1 and paired['mean'] > 2 * paired['std']))
        table[f'{alpha:g}'] = row
    return table


def markdown(table, methods, splits, seeds) -> str:
    split = splits[-1]
    lines = [
        '| Dirichlet α | ' + ' | '.join(NAMES[m] for m in methods) + ' |',
        '|---|' + '---|' * len(methods)
    ]
    for alpha, row in table.items():
        cells = [f"{row[m][split]['mean']:.2f} ± {row[m][split]['std']:.2f}"
                 for m in methods]
        lines.append(f'| {alpha} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append(f'{split} accuracy (%) of the final global model, mean ± '
                 f'sample std over seeds {seeds}.')
    return '\n'.join(lines) + '\n'


def plot(records, alpha, methods, split, title, path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method in methods:
        curves = np.asarray([
            r['curves'][split] for r in records
            if r['alpha'] == alpha and r['method'] == method
        ])
        if not curves.size:
            continue
        rounds = np.arange(1, curves.shape[1] + 1)
        mean, std = curves.mean(0), curves.std(0)
        ax.plot(rounds, mean, label=f'{NAMES[method]} (n={len(curves)})')
        ax.fill_between(rounds, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel('round')
    ax.set_ylabel(f'{split} accuracy (%)')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    seeds = args.seeds or list(cfg.seeds)
    splits = [s for s in ('val', 'test') if s in args.splits]
    runs_dir = osp.join(args.work_dir, 'runs')
    os.makedirs(runs_dir, exist_ok=True)
    start = time.perf_counter()
    records = []
    for alpha in args.alphas:
        for seed in seeds:
            for method in args.methods:
                path = osp.join(runs_dir,
                                run_name(method, alpha, seed) + '.json')
                if osp.exists(path):
                    with open(path) as f:
                        record = json.load(f)
                    if all(f'{s}_accuracy' in record for s in splits):
                        records.append(record)
                        continue
                record = run_one(cfg, method, alpha, seed, splits)
                with open(path, 'w') as f:
                    json.dump(record, f)
                records.append(record)
                accs = ', '.join(f"{s} {record[f'{s}_accuracy']:.2f} %"
                                 for s in splits)
                print(f'{method} alpha={alpha:g} seed={seed}: {accs} '
                      f"({record['seconds']:.0f} s)", flush=True)
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
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    text = markdown(table, args.methods, splits, seeds)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text)
    for alpha in args.alphas:
        title = (f'{cfg.data.type}, K = {cfg.partition.num_clients}, '
                 f'Dirichlet α = {alpha:g}, {len(seeds)} seeds')
        plot(records, alpha, args.methods, splits[-1], title,
             osp.join(args.work_dir, f'curves_alpha{alpha:g}.png'))
    print(text)
    return summary


if __name__ == '__main__':
    main()
