"""FedGen / FedAvg / FedProx on a labelled dataset's splits, built from
an FL config (the demo's, the benchmark's and the Flower apps' shared
entry points)."""
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdfkd.registry import MODELS
from .data import load_split
from .partition import dirichlet_partition
from .server import FedGenServer
from .simulation import DropoutFn, RoundLog, simulate

METHODS = ('fedgen', 'fedavg', 'fedprox')


def client_indices(cfg, seed: int, labels: Sequence[int]) -> List:
    """Every client's sample indices under ``cfg.partition`` and
    ``seed``.

    Raises:
        ValueError: naming the config's ``partition`` setting when no
            Dirichlet split can give every client ``min_size`` samples.
    """
    part = cfg.partition
    try:
        return dirichlet_partition(
            list(labels),
            part.num_clients,
            part.alpha,
            seed=seed,
            min_size=part.get('min_size', 1))
    except ValueError as exc:
        raise ValueError(
            f'partition=dict(num_clients={part.num_clients}, '
            f'alpha={part.alpha}, min_size={part.get("min_size", 1)}) '
            f'cannot split the {len(labels)} training samples of '
            f'{cfg.data.type}: {exc}') from exc


def client_splits(cfg, seed: int, images: torch.Tensor,
                  labels: torch.Tensor) -> List[Tuple[torch.Tensor,
                                                      torch.Tensor]]:
    """The clients' ``(images, labels)`` under ``cfg.partition`` and
    ``seed`` (see :func:`client_indices`)."""
    return [(images[torch.as_tensor(p)], labels[torch.as_tensor(p)])
            for p in client_indices(cfg, seed, labels.tolist())]


def build_server(cfg, method: str, seed: int) -> FedGenServer:
    """The server of ``method`` (one of :data:`METHODS`); the global
    model's initial weights depend on ``seed`` only, so every method
    starts from the same model. FedProx takes its μ from
    ``cfg.fedprox.mu``."""
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    generator = None
    if method == 'fedgen':
        generator = MODELS.build(cfg.generator)
    prox_mu = cfg.fedprox.mu if method == 'fedprox' else 0.0
    return FedGenServer(
        model,
        generator,
        num_classes=cfg.num_classes,
        prox_mu=prox_mu,
        seed=seed,
        **cfg.server)


@torch.no_grad()
def accuracy(model: nn.Module,
             images: torch.Tensor,
             labels: torch.Tensor,
             batch_size: int = 2000) -> float:
    """Top-1 accuracy of ``model`` in percent (in chunks of
    ``batch_size`` images)."""
    model.eval()
    correct = sum((model(x).argmax(1) == y).sum().item()
                  for x, y in zip(images.split(batch_size),
                                  labels.split(batch_size)))
    return correct / len(labels) * 100


def run_method(cfg,
               method: str,
               seed: int,
               rounds: Optional[int] = None,
               eval_splits: Sequence[str] = ('val', ),
               curve_splits: Sequence[str] = ('val', ),
               dropout: Optional[DropoutFn] = None) -> Dict:
    """Train ``method`` on the config's training split spread over the
    clients, then report the final global model on ``eval_splits``.

    Args:
        cfg (Config): The FL config (``configs/federated/``).
        method (str): One of :data:`METHODS`.
        seed (int): Seed of the split, the initial model and the rounds.
        rounds (int, optional): Overrides ``cfg.rounds``.
            Defaults to None.
        eval_splits (Sequence[str]): Splits on which the final global
            model is measured. Defaults to ``('val',)``.
        curve_splits (Sequence[str]): Splits on which the global model is
            measured after every round (``<split>_accuracy`` in each
            round's log). Defaults to ``('val',)``.
        dropout (DropoutFn, optional): Which replies to drop.
            Defaults to None.

    Returns:
        dict: ``<split>_accuracy`` (percent) for each split, ``logs``
        (the :class:`RoundLog` list) and ``seconds``.
    """
    start = time.perf_counter()
    clients = client_splits(cfg, seed, *load_split(cfg.data, 'train'))
    server = build_server(cfg, method, seed)
    data = {s: load_split(cfg.data, s)
            for s in set(eval_splits) | set(curve_splits)}
    logs: List[RoundLog] = simulate(
        server,
        clients,
        cfg.rounds if rounds is None else rounds,
        dict(cfg.local),
        seed=seed,
        dropout=dropout,
        evaluate=lambda m: {
            f'{s}_accuracy': accuracy(m, *data[s])
            for s in curve_splits
        })
    out = {
        f'{split}_accuracy': accuracy(server.model, *data[split])
        for split in eval_splits
    }
    out.update(logs=logs, seconds=time.perf_counter() - start)
    return out
