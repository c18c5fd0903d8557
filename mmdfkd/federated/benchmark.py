"""A grid of federated runs (methods × Dirichlet alphas × seeds) and its
report: mean ± std of the final global model, FedGen's gap to FedAvg,
accuracy-against-round plots. Used by ``tools/fed_benchmark.py`` and
``tools/demo_fedgen.py``."""
import hashlib
import json
import os
import os.path as osp
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from .experiment import run_method

NAMES = dict(fedavg='FedAvg', fedprox='FedProx', fedgen='FedGen')
#: Rounds averaged for the ``last10`` figure of :func:`summarise`.
LAST = 10


def run_name(method: str, alpha: float, seed: int) -> str:
    """File stem of one run's record."""
    return f'{method}_alpha{alpha:g}_seed{seed}'


def config_hash(cfg_dict: dict, alpha: float) -> str:
    """Fingerprint of a run's config (a record is reused only for the
    same one)."""
    text = json.dumps(dict(cfg_dict, alpha=alpha), sort_keys=True,
                      default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def run_record(cfg_dict: dict, method: str, alpha: float, seed: int,
               splits: Sequence[str], curve_splits: Sequence[str]) -> dict:
    """One run as a JSON-able record: the final global model's accuracy
    on ``splits``, per-round accuracy on ``curve_splits``, per-round
    losses and weights, seconds.

    Args:
        cfg_dict (dict): The FL config as a dict (picklable for worker
            processes); its ``partition.alpha`` is replaced by ``alpha``.
        method (str): ``fedavg``, ``fedprox`` or ``fedgen``.
        alpha (float): Dirichlet concentration of the split.
        seed (int): Seed of the split, initial model and rounds.
        splits (Sequence[str]): Splits measured at the end.
        curve_splits (Sequence[str]): Splits measured after every round.
    """
    import torch

    torch.set_num_threads(1)  # the tiny models gain nothing from more
    cfg = Config(cfg_dict)
    cfg.partition.alpha = alpha
    out = run_method(cfg, method, seed, eval_splits=splits,
                     curve_splits=curve_splits)
    return dict(
        method=method,
        alpha=alpha,
        seed=seed,
        **{f'{s}_accuracy': out[f'{s}_accuracy']
           for s in splits},
        curves={
            s: [round(log.metrics[f'{s}_accuracy'], 2) for log in out['logs']]
            for s in curve_splits
        },
        round_metrics=[{
            k: round(v, 4)
            for k, v in log.metrics.items() if not k.endswith('_accuracy')
        } for log in out['logs']],
        seconds=round(out['seconds'], 1),
        config_hash=config_hash(cfg_dict, alpha))


def run_grid(cfg: Config,
             alphas: Sequence[float],
             seeds: Sequence[int],
             methods: Sequence[str],
             splits: Sequence[str],
             curve_splits: Sequence[str],
             runs_dir: str,
             workers: int = 1,
             log=print) -> List[dict]:
    """Every (alpha, seed, method) run, each written to
    ``runs_dir/<name>.json`` when it ends; a run whose file already holds
    the requested splits for the same config is read instead of re-run
    (an interrupted grid resumes; a changed config re-runs).

    Args:
        cfg (Config): The FL config.
        alphas, seeds, methods: The grid.
        splits (Sequence[str]): Splits measured at the end.
        curve_splits (Sequence[str]): Splits measured after every round.
        runs_dir (str): Folder of the per-run records.
        workers (int): Runs at a time, each in its own process with one
            thread (1: in this process). Defaults to 1.
        log (callable): Where one line per finished run goes.
            Defaults to ``print``.

    Returns:
        list[dict]: The records, in grid order.
    """
    os.makedirs(runs_dir, exist_ok=True)
    grid = [(a, s, m) for a in alphas for s in seeds for m in methods]
    cfg_dict = cfg.to_dict()
    records: Dict[tuple, dict] = {}
    todo = []
    for key in grid:
        path = osp.join(runs_dir, run_name(key[2], key[0], key[1]) + '.json')
        if osp.exists(path):
            with open(path) as f:
                record = json.load(f)
            if record.get('config_hash') == config_hash(
                    cfg_dict, key[0]) and all(
                        f'{s}_accuracy' in record for s in splits) and all(
                            s in record['curves'] for s in curve_splits):
                records[key] = record
                continue
        todo.append(key)

    def done(key, record):
        path = osp.join(runs_dir, run_name(key[2], key[0], key[1]) + '.json')
        with open(path, 'w') as f:
            json.dump(record, f)
        records[key] = record
        accs = ', '.join(f"{s} {record[f'{s}_accuracy']:.2f} %"
                         for s in splits)
        log(f'{key[2]} alpha={key[0]:g} seed={key[1]}: {accs} '
            f"({record['seconds']:.0f} s)")

    if workers <= 1:
        for a, s, m in todo:
            done((a, s, m), run_record(cfg_dict, m, a, s, splits,
                                       curve_splits))
    else:
        with ProcessPoolExecutor(workers, get_context('spawn')) as pool:
            futures = {
                pool.submit(run_record, cfg_dict, m, a, s, splits,
                            curve_splits): (a, s, m)
                for a, s, m in todo
            }
            for future in as_completed(futures):
                done(futures[future], future.result())
    return [records[key] for key in grid]


def mean_std(values) -> dict:
    """Mean and sample standard deviation (ddof = 1; 0 for one value)."""
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return dict(mean=float(values.mean()), std=std, n=int(values.size))


def summarise(records: Sequence[dict], alphas: Sequence[float],
              methods: Sequence[str], splits: Sequence[str]) -> dict:
    """Per alpha and method: mean ± std over seeds of each split's
    accuracy, and the per-seed figures; where the runs kept that split's
    curve, also ``last10``: mean ± std over seeds of the mean accuracy of
    the last :data:`LAST` rounds. With FedGen and FedAvg both
    there, FedGen's gap on the last split, unpaired (``gap`` against
    ``two_std``, twice the larger of the two stds) and paired over seeds
    (the mean per-seed difference against twice the std of the
    differences)."""
    table = {}
    for alpha in alphas:
        row = {}
        for method in methods:
            runs = sorted((r for r in records
                           if r['alpha'] == alpha and r['method'] == method),
                          key=lambda r: r['seed'])
            row[method] = {
                s: dict(
                    mean_std([r[f'{s}_accuracy'] for r in runs]),
                    per_seed={
                        str(r['seed']): r[f'{s}_accuracy']
                        for r in runs
                    })
                for s in splits
            }
            for s in splits:
                curves = [r['curves'][s] for r in runs
                          if s in r.get('curves', {})]
                if curves and len(curves) == len(runs):
                    # a smoother figure beside the final round's: the
                    # global model swings by several points a round
                    row[method][s]['last10'] = mean_std(
                        [np.mean(c[-LAST:]) for c in curves])
        if 'fedgen' in methods and 'fedavg' in methods:
            row['fedgen_vs_fedavg'] = gap(row['fedgen'][splits[-1]],
                                          row['fedavg'][splits[-1]],
                                          splits[-1])
        table[f'{alpha:g}'] = row
    return table


def gap(gen: dict, avg: dict, split: str) -> dict:
    """FedGen minus FedAvg, unpaired and paired over the common seeds."""
    seeds = sorted(set(gen['per_seed']) & set(avg['per_seed']), key=int)
    diffs = [gen['per_seed'][s] - avg['per_seed'][s] for s in seeds]
    paired = mean_std(diffs)
    two_std = 2 * max(gen['std'], avg['std'])
    diff = gen['mean'] - avg['mean']
    return dict(
        split=split,
        gap=diff,
        two_std=two_std,
        beats_by_two_std=bool(diff > two_std),
        paired_diffs=diffs,
        paired_two_std=2 * paired['std'],
        paired_beats_by_two_std=bool(paired['n'] > 1
                                     and paired['mean'] > 2 * paired['std']))


def markdown_table(table: dict, methods: Sequence[str], split: str,
                   seeds: Sequence[int]) -> str:
    """The table: one row per alpha, mean ± std per method of the final
    model (and of the last rounds' mean, where the curves are there)."""
    last = all('last10' in row[m][split]
               for row in table.values() for m in methods)
    head = [NAMES[m] for m in methods]
    if last:
        head += [f'{NAMES[m]}, last {LAST} rounds' for m in methods]
    lines = [
        '| Dirichlet α | ' + ' | '.join(head) + ' |',
        '|---|' + '---|' * len(head)
    ]
    for alpha, row in table.items():
        cells = [
            f"{row[m][split]['mean']:.2f} ± {row[m][split]['std']:.2f}"
            for m in methods
        ]
        if last:
            cells += [
                f"{row[m][split]['last10']['mean']:.2f} ± "
                f"{row[m][split]['last10']['std']:.2f}" for m in methods
            ]
        lines.append(f'| {alpha} | ' + ' | '.join(cells) + ' |')
    lines += [
        '', f'{split} accuracy (%) of the final global model, mean ± '
        f'sample std over seeds {list(seeds)}' +
        (f'; then the mean over the last {LAST} rounds, mean ± std over '
         'seeds.' if last else '.')
    ]
    return '\n'.join(lines) + '\n'


def plot_curves(records: Sequence[dict],
                alpha: float,
                methods: Sequence[str],
                split: str,
                path: str,
                title: Optional[str] = None) -> None:
    """Accuracy on ``split`` against round for one alpha: the mean over
    seeds per method, with a ±1 std band, saved as a PNG."""
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
        ax.plot(rounds, mean, label=f'{NAMES[method]} ({len(curves)} seeds)')
        ax.fill_between(rounds, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel('round')
    ax.set_ylabel(f'{split} accuracy (%)')
    ax.set_title(title or f'Dirichlet α = {alpha:g}')
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
