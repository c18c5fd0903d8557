"""Flower ServerApp: FedGen (or FedAvg / FedProx) rounds through
:class:`FedGenStrategy`, then a summary of the final global model.

Run config (``pyproject.toml`` here, or ``flwr run --run-config``):
``config`` (the FL config), ``method`` (``fedgen``/``fedavg``/
``fedprox``), ``seed``, ``num-server-rounds`` (0: the config's
``rounds``), ``min-nodes``, ``round-timeout`` (seconds), ``splits``
(comma-separated splits measured after every round and at the end, e.g.
``val,test``) and ``out-dir`` (where ``summary.json`` and
``global_model.pth`` go; empty: nowhere).
"""
import json
import os
import os.path as osp
from dataclasses import asdict

import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp

import mmdfkd  # noqa: F401  (the compatibility layer, registries)
from mmdfkd.federated.data import SPLITS, load_split
from mmdfkd.federated.experiment import accuracy, build_server
from .records import load_config, to_record
from .strategy import FedGenStrategy

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    """Run the rounds and write the summary."""
    rc = context.run_config
    cfg = load_config(str(rc['config']))
    method, seed = str(rc['method']), int(rc['seed'])
    rounds = int(rc['num-server-rounds']) or cfg.rounds
    nodes = int(rc['min-nodes'])
    splits = [s.strip() for s in str(rc['splits']).split(',') if s.strip()]
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f'run config splits: {sorted(unknown)} are not '
                         f'among {SPLITS}')
    data = {s: load_split(cfg.data, s) for s in splits}
    server = build_server(cfg, method, seed)
    strategy = FedGenStrategy(
        server, min_train_nodes=nodes, min_available_nodes=nodes)

    def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
        # the same figures the simulation logs after every round;
        # server.model already holds the aggregated weights
        figures = {
            f'{s}_accuracy': accuracy(server.model, *data[s])
            for s in splits
        }
        if server_round > 0:
            strategy.round_logs[-1].metrics.update(figures)
        return MetricRecord(figures)

    strategy.start(
        grid=grid,
        initial_arrays=to_record(server.model.state_dict()),
        num_rounds=rounds,
        timeout=float(rc['round-timeout']),
        train_config=ConfigRecord({'seed': seed}),
        evaluate_fn=evaluate)
    out_dir = str(rc['out-dir'])
    if not out_dir:
        return
    os.makedirs(out_dir, exist_ok=True)
    torch.save(server.model.state_dict(),
               osp.join(out_dir, 'global_model.pth'))
    summary = dict(
        method=method,
        seed=seed,
        rounds=rounds,
        **{
            f'{s}_accuracy': accuracy(server.model, *data[s])
            for s in splits
        },
        round_logs=[asdict(log) for log in strategy.round_logs])
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
