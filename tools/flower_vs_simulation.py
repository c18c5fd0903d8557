"""Run one FL setting twice, in-process and through Flower's deployment
engine, and compare the numbers.

The simulation (``mmdfkd.federated.simulation``) and the Flower apps
(``mmdfkd/federated/flower``: one SuperLink and one SuperNode per client
on 127.0.0.1, offline, each message handled by a fresh client process)
run the same algorithm code from the same config and seed; this tool
checks that they give the same per-round accuracies, training losses
and final accuracies. Writes ``<work-dir>/comparison.json`` and exits
with status 1 when a figure differs by more than ``--tolerance``.

Usage::

    python tools/flower_vs_simulation.py --method fedgen --rounds 3 \\
        --cfg-options partition.alpha=0.1
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import mmdfkd  # noqa: F401  (applies the compatibility layer first)
from mmengine.config import Config, DictAction

from mmdfkd.federated.experiment import METHODS, run_method

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config',
        default=osp.join(ROOT, 'configs/federated/fedgen_fashion_mnist.py'))
    parser.add_argument('--method', choices=METHODS, default='fedgen')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--splits', nargs='+', choices=['val', 'test'], default=['val'])
    parser.add_argument('--work-dir', default='work_dirs/flower_vs_sim')
    parser.add_argument(
        '--tolerance',
        type=float,
        default=0.0,
        help='largest allowed difference of any figure (default: 0, '
        'identical)')
    parser.add_argument(
        '--timeout',
        type=float,
        default=600.0,
        help='seconds per round before Flower gives up on a node')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. partition.alpha=0.1')
    return parser.parse_args(argv)


def figures(round_metrics, final) -> dict:
    """The compared numbers: every ``*_accuracy`` and ``train_loss_*`` of
    every round, and the final accuracies."""
    out = {}
    for t, metrics in enumerate(round_metrics, start=1):
        for key, value in metrics.items():
            if key.endswith('_accuracy') or key.startswith('train_loss_'):
                out[f'round{t}/{key}'] = value
    out.update({f'final/{k}': v for k, v in final.items()})
    return out


def run_flower(cfg_path: str, args, num_nodes: int):
    """The Flower run's ``summary.json``, and the process groups still
    alive after the deployment was stopped (none expected)."""
    from mmdfkd.federated.flower.deployment import LocalDeployment

    out = osp.abspath(osp.join(args.work_dir, 'flower_out'))
    deployment = LocalDeployment(
        osp.abspath(osp.join(args.work_dir, 'flower')), num_nodes)
    run_config = (f"config='{cfg_path}' out-dir='{out}' "
                  f'method="{args.method}" seed={args.seed} '
                  f'num-server-rounds={args.rounds} min-nodes={num_nodes} '
                  f'round-timeout={args.timeout} '
                  f"splits='{','.join(args.splits)}'")
    try:
        deployment.start()
        log = deployment.run(
            osp.join(ROOT, 'mmdfkd/federated/flower'),
            run_config,
            timeout=args.timeout * (args.rounds + 1) + 120)
    finally:
        left = deployment.stop()
    if left:
        print(f'process groups left running: {left}', file=sys.stderr)
    path = osp.join(out, 'summary.json')
    if not osp.exists(path):  # flwr run exits 0 even when the run failed
        raise RuntimeError(f'the Flower run wrote no {path}:\n{log}\n'
                           f'{deployment.logs()}')
    with open(path) as f:
        return json.load(f), left


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    os.makedirs(args.work_dir, exist_ok=True)
    # both runs read this one file (the Flower apps get its path)
    cfg_path = osp.abspath(osp.join(args.work_dir, 'config.py'))
    cfg.dump(cfg_path)
    num_nodes = cfg.partition.num_clients

    start = time.perf_counter()
    sim = run_method(cfg, args.method, args.seed, rounds=args.rounds,
                     eval_splits=args.splits, curve_splits=args.splits)
    sim_seconds = time.perf_counter() - start
    sim_figures = figures(
        [log.metrics for log in sim['logs']],
        {f'{s}_accuracy': sim[f'{s}_accuracy']
         for s in args.splits})

    start = time.perf_counter()
    flower, left = run_flower(cfg_path, args, num_nodes)
    flower_seconds = time.perf_counter() - start
    flower_figures = figures(
        [log['metrics'] for log in flower['round_logs']],
        {f'{s}_accuracy': flower[f'{s}_accuracy']
         for s in args.splits})

    keys = sorted(set(sim_figures) | set(flower_figures))
    diffs = {
        k: abs(sim_figures[k] - flower_figures[k])
        if k in sim_figures and k in flower_figures else float('inf')
        for k in keys
    }
    worst = max(diffs.values())
    result = dict(
        method=args.method,
        seed=args.seed,
        rounds=args.rounds,
        num_clients=num_nodes,
        config=cfg_path,
        simulation=sim_figures,
        flower=flower_figures,
        largest_difference=worst,
        identical=worst == 0,
        within_tolerance=worst <= args.tolerance,
        process_groups_left=left,
        simulation_seconds=round(sim_seconds, 1),
        flower_seconds=round(flower_seconds, 1))
    with open(osp.join(args.work_dir, 'comparison.json'), 'w') as f:
        json.dump(result, f, indent=2)
    for s in args.splits:
        key = f'final/{s}_accuracy'
        print(f'{s} accuracy after {args.rounds} rounds: simulation '
              f'{sim_figures[key]:.2f} %, Flower {flower_figures[key]:.2f} %')
    print(f'{len(keys)} figures compared, largest difference {worst:g} '
          f'(simulation {sim_seconds:.0f} s, Flower {flower_seconds:.0f} s)')
    if not result['within_tolerance']:
        sys.exit(1)
    return result


if __name__ == '__main__':
    main()
