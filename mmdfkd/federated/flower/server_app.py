"""Flower ServerApp: FedGen (or FedAvg) rounds through
:class:`FedGenStrategy`, then a summary of the final global model.

Run config (``pyproject.toml`` here, or ``flwr run --run-config``):
``config`` (the FL config), ``method`` (``fedgen``/``fedavg``), ``seed``,
``num-server-rounds`` (0: the config's ``rounds``), ``min-nodes``,
``round-timeout`` (seconds) and ``out-dir`` (where ``summary.json`` and
``global_model.pth`` go; empty: nowhere).
"""
import json
import os
import os.path as osp
from dataclasses import asdict

import torch
from flwr.app import ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp

import mmdfkd  # noqa: F401  (the compatibility layer, registries)
from mmdfkd.federated.experiment import (accuracy, build_server,
                                         digits_tensors)
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
    server = build_server(cfg, method, seed)
    strategy = FedGenStrategy(
        server, min_train_nodes=nodes, min_available_nodes=nodes)
    strategy.start(
        grid=grid,
        initial_arrays=to_record(server.model.state_dict()),
        num_rounds=rounds,
        timeout=float(rc['round-timeout']),
        train_config=ConfigRecord({'seed': seed}))
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
        val_accuracy=accuracy(server.model, *digits_tensors('val')),
        round_logs=[asdict(log) for log in strategy.round_logs])
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
