"""FedGen / FedAvg on the digits splits, built from a config (the demo's
and the Flower apps' shared entry points)."""
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdfkd.registry import MODELS
from .partition import dirichlet_partition
from .server import FedGenServer
from .simulation import DropoutFn, RoundLog, simulate

METHODS = ('fedgen', 'fedavg')


def digits_tensors(split: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, 1, 8, 8)`` in [0, 1] and labels of a digits split
    (:class:`~mmdfkd.datasets.DigitsDataset`: ``train``, ``val`` or
    ``test``)."""
    from mmdfkd.datasets import DigitsDataset

    data = DigitsDataset(split=split, test_mode=True, serialize_data=False)
    items = [data.get_data_info(i) for i in range(len(data))]
    images = torch.stack(
        [torch.from_numpy(it['img']).permute(2, 0, 1) for it in items])
    labels = torch.tensor([it['gt_label'] for it in items])
    return images.float() / 255.0, labels


def client_splits(cfg, seed: int, images: torch.Tensor,
                  labels: torch.Tensor) -> List[Tuple[torch.Tensor,
                                                      torch.Tensor]]:
    """The clients' ``(images, labels)`` under ``cfg.partition`` and
    ``seed``."""
    parts = dirichlet_partition(
        labels.tolist(),
        cfg.partition.num_clients,
        cfg.partition.alpha,
        seed=seed,
        min_size=cfg.partition.get('min_size', 1))
    return [(images[torch.as_tensor(p)], labels[torch.as_tensor(p)])
            for p in parts]


def build_server(cfg, method: str, seed: int) -> FedGenServer:
    """The server of ``method`` (``'fedgen'`` or ``'fedavg'``); the global
    model's initial weights depend on ``seed`` only, so both methods
    start from the same model."""
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    generator = None
    if method == 'fedgen':
        generator = MODELS.build(cfg.generator)
    return FedGenServer(
        model,
        generator,
        num_classes=cfg.num_classes,
        seed=seed,
        **cfg.server)


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor,
             labels: torch.Tensor) -> float:
    """Top-1 accuracy of ``model`` in percent."""
    model.eval()
    return (model(images).argmax(1) == labels).float().mean().item() * 100


def run_method(cfg,
               method: str,
               seed: int,
               rounds: Optional[int] = None,
               eval_splits: Sequence[str] = ('val', ),
               dropout: Optional[DropoutFn] = None) -> Dict:
    """Train ``method`` on the digits train split spread over the
    clients, then report the final global model on ``eval_splits``.

    Args:
        cfg (Config): The FL config (``configs/federated/``).
        method (str): ``'fedgen'`` or ``'fedavg'``.
        seed (int): Seed of the split, the initial model and the rounds.
        rounds (int, optional): Overrides ``cfg.rounds``.
            Defaults to None.
        eval_splits (Sequence[str]): Splits on which the final global
            model is measured. Defaults to ``('val',)``.
        dropout (DropoutFn, optional): Which replies to drop.
            Defaults to None.

    Returns:
        dict: ``<split>_accuracy`` (percent) for each split, ``logs``
        (the :class:`RoundLog` list, with ``val_accuracy`` per round) and
        ``seconds``.
    """
    start = time.perf_counter()
    images, labels = digits_tensors('train')
    clients = client_splits(cfg, seed, images, labels)
    server = build_server(cfg, method, seed)
    val = digits_tensors('val')
    logs: List[RoundLog] = simulate(
        server,
        clients,
        cfg.rounds if rounds is None else rounds,
        dict(cfg.local),
        seed=seed,
        dropout=dropout,
        evaluate=lambda m: dict(val_accuracy=accuracy(m, *val)))
    out = {
        f'{split}_accuracy': accuracy(server.model, *digits_tensors(split))
        for split in eval_splits
    }
    out.update(logs=logs, seconds=time.perf_counter() - start)
    return out
