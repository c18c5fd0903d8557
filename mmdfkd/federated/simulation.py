"""Fast in-process federated rounds (the same steps as the Flower apps,
without transport), with dropouts reported per round."""
import copy
import logging
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from .client import ClientUpdate, client_update
from .server import FedGenServer

#: ``(server_round, client_id) -> bool``: True drops that client's reply.
DropoutFn = Callable[[int, int], bool]


class ClientDropout(RuntimeError):
    """A client that left in the middle of a round."""


@dataclass
class RoundLog:
    """What happened in one round.

    Args:
        server_round (int): Round number, from 1.
        participants (list[int]): Clients whose reply was aggregated.
        dropouts (dict[int, str]): Clients that dropped, and why.
        metrics (dict[str, float]): Server and evaluation figures.
    """
    server_round: int
    participants: List[int]
    dropouts: Dict[int, str] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)


def client_seed(seed: int, server_round: int, client_id: int) -> int:
    """A distinct, reproducible seed for every (run, round, client)."""
    return (seed * 1_000_003 + server_round * 1_009 + client_id) % 2**31


def client_means(updates: Sequence[ClientUpdate]) -> Dict[str, float]:
    """Sample-weighted means of the clients' ``loss_*`` figures, as
    ``train_loss_*``."""
    n = sum(u.num_examples for u in updates)
    keys = set.intersection(*(set(u.metrics) for u in updates))
    return {
        f'train_{k}': sum(u.metrics[k] * u.num_examples for u in updates) / n
        for k in sorted(keys) if k.startswith('loss_')
    }


def simulate(server: FedGenServer,
             clients: Sequence[Tuple[torch.Tensor, torch.Tensor]],
             rounds: int,
             local_cfg: dict,
             seed: int = 0,
             dropout: Optional[DropoutFn] = None,
             evaluate: Optional[Callable[[nn.Module], Dict[str, float]]] = None
             ) -> List[RoundLog]:
    """Run ``rounds`` federated rounds in this process.

    Every client starts each round from the global model. A client whose
    local step raises, or that ``dropout`` drops after training (its reply
    never arrives), is left out of that round's aggregation and reported
    in the round's :class:`RoundLog`; the round completes with the
    others. A round where every client dropped raises.

    Args:
        server (FedGenServer): Server state (FedGen or FedAvg).
        clients (Sequence[tuple]): ``(images, labels)`` of every client.
        rounds (int): Number of rounds.
        local_cfg (dict): Keyword arguments of the clients'
            :func:`~mmdfkd.federated.client.local_train`.
        seed (int): Seed of the clients' local steps. Defaults to 0.
        dropout (DropoutFn, optional): Which replies to drop.
            Defaults to None.
        evaluate (callable, optional): ``model -> dict`` of figures for
            the global model after each round. Defaults to None.

    Returns:
        list[RoundLog]: One entry per round.
    """
    for cid, (_, labels) in enumerate(clients):
        if len(labels) == 0:
            raise ValueError(f'client {cid} has no samples: it cannot '
                             'train; re-split with min_size >= 1')
    logs = []
    for t in range(1, rounds + 1):
        cfg = server.round_config(t)
        generator = None
        if server.generator_state() is not None:
            generator = copy.deepcopy(server.generator)
        updates: List[ClientUpdate] = []
        dropouts: Dict[int, str] = {}
        for cid, (images, labels) in enumerate(clients):
            model = copy.deepcopy(server.model)
            try:
                update = client_update(cid, model, images, labels,
                                       server.num_classes, local_cfg, cfg,
                                       generator, client_seed(seed, t, cid))
                if dropout is not None and dropout(t, cid):
                    raise ClientDropout('dropped mid-round: it trained but '
                                        'its reply never arrived')
            except Exception as exc:  # any failing client is a dropout
                dropouts[cid] = f'{type(exc).__name__}: {exc}'
                continue
            updates.append(update)
        if not updates:
            raise RuntimeError(f'round {t}: every client dropped out '
                               f'({dropouts}); nothing to aggregate')
        metrics = server.finish_round(updates)
        metrics.update(client_means(updates))
        metrics.update(reg_weight=cfg['reg_weight'],
                       latent_weight=cfg['latent_weight'])
        if evaluate is not None:
            metrics.update(evaluate(server.model))
        if dropouts:
            print_log(f'round {t}: {len(dropouts)} client(s) dropped out: '
                      f'{dropouts}', 'current', logging.WARNING)
        logs.append(RoundLog(t, [u.client_id for u in updates], dropouts,
                             metrics))
    return logs
