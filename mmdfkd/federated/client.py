"""A client's local step: cross-entropy on its own data, plus FedGen's
regulariser on generated latents (FedAvg is the same without it)."""
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .partition import label_counts


@dataclass
class ClientUpdate:
    """What a client sends back after its local step.

    Args:
        client_id (int): Which client.
        state (dict[str, torch.Tensor]): Its model's ``state_dict``.
        num_examples (int): Samples it trained on (the FedAvg weight).
        label_counts (np.ndarray): Samples per class, ``(num_classes,)``.
        metrics (dict[str, float]): Local training figures.
    """
    client_id: int
    state: Dict[str, torch.Tensor]
    num_examples: int
    label_counts: np.ndarray
    metrics: Dict[str, float] = field(default_factory=dict)


def regulariser_weight(server_round: int,
                       initial: float = 1.0,
                       decay: float = 0.98) -> float:
    """FedGen's regulariser weight α_t = α_0 · decay^(t-1) at round t >= 1.

    Args:
        server_round (int): Round number, starting at 1.
        initial (float): α_0. Defaults to 1.0.
        decay (float): Factor per round. Defaults to 0.98.
    """
    if server_round < 1:
        raise ValueError(f'rounds count from 1, got {server_round}')
    return float(initial) * float(decay)**(server_round - 1)


def fedgen_regulariser(model: nn.Module, generator: nn.Module,
                       label_probs: torch.Tensor, batch_size: int,
                       rng: torch.Generator) -> torch.Tensor:
    """CE(h(G(ε, ŷ)), ŷ) with ŷ drawn from ``label_probs``.

    The generator is fixed on the client (no gradient reaches it); only
    the model's head sees the generated latents.

    Args:
        model (nn.Module): A classifier with a ``head``.
        generator (nn.Module): The server's feature generator.
        label_probs (torch.Tensor): Sampling distribution of ŷ, ``(C,)``
            (the global label distribution the server broadcasts).
        batch_size (int): Number of generated latents.
        rng (torch.Generator): RNG for ŷ and ε.
    """
    labels = torch.multinomial(
        label_probs, batch_size, replacement=True, generator=rng)
    with torch.no_grad():
        latent, _ = generator(labels, generator=rng)
    return F.cross_entropy(model.head(latent), labels)


def local_train(model: nn.Module,
                images: torch.Tensor,
                labels: torch.Tensor,
                steps: int = 20,
                batch_size: int = 32,
                lr: float = 0.05,
                momentum: float = 0.9,
                generator: Optional[nn.Module] = None,
                label_probs: Optional[torch.Tensor] = None,
                reg_weight: float = 0.0,
                reg_batch_size: int = 64,
                seed: int = 0) -> Dict[str, float]:
    """Train ``model`` in place on one client's data for ``steps`` SGD
    steps; with a generator and ``reg_weight > 0`` FedGen's regulariser
    is added to every step's loss.

    Args:
        model (nn.Module): The classifier, initialised from the global
            model.
        images (torch.Tensor): The client's images ``(N, C, H, W)``.
        labels (torch.Tensor): Their classes ``(N,)``.
        steps (int): SGD steps (mini-batches drawn without replacement,
            reshuffled each pass). Defaults to 20.
        batch_size (int): Mini-batch size. Defaults to 32.
        lr (float): SGD learning rate. Defaults to 0.05.
        momentum (float): SGD momentum (fresh every round). Defaults to
            0.9.
        generator (nn.Module, optional): FedGen's generator; None for
            FedAvg. Defaults to None.
        label_probs (torch.Tensor, optional): Distribution of ŷ, needed
            with a generator. Defaults to None.
        reg_weight (float): α_t of the regulariser. Defaults to 0.0.
        reg_batch_size (int): Generated latents per step. Defaults to 64.
        seed (int): Seed of the batch order, ŷ and ε. Defaults to 0.

    Returns:
        dict[str, float]: ``loss_ce`` and ``loss_reg``, means over steps.
    """
    if len(images) == 0:
        raise ValueError('this client has no samples: it cannot train; '
                         'give every client data (see dirichlet_partition'
                         "'s min_size)")
    use_reg = generator is not None and reg_weight > 0
    if use_reg and label_probs is None:
        raise ValueError('the FedGen regulariser needs label_probs')
    rng = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    model.train()
    if generator is not None:
        generator.eval()
    order = torch.empty(0, dtype=torch.long)
    sums = dict(loss_ce=0.0, loss_reg=0.0)
    for _ in range(steps):
        if order.numel() < min(batch_size, len(images)):
            order = torch.randperm(len(images), generator=rng)
        batch, order = order[:batch_size], order[batch_size:]
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        sums['loss_ce'] += loss.item()
        if use_reg:
            reg = fedgen_regulariser(model, generator, label_probs,
                                     reg_batch_size, rng)
            sums['loss_reg'] += reg.item()
            loss = loss + reg_weight * reg
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {k: v / max(steps, 1) for k, v in sums.items()}


def client_update(client_id: int,
                  model: nn.Module,
                  images: torch.Tensor,
                  labels: torch.Tensor,
                  num_classes: int,
                  local_cfg: dict,
                  reg_weight: float = 0.0,
                  label_probs: Optional[torch.Tensor] = None,
                  generator: Optional[nn.Module] = None,
                  seed: int = 0) -> ClientUpdate:
    """One client's whole round: :func:`local_train` from the global
    weights already loaded into ``model``, then the reply.

    Args:
        client_id (int): Which client.
        model (nn.Module): The classifier holding the global weights.
        images (torch.Tensor): The client's images.
        labels (torch.Tensor): Their classes.
        num_classes (int): Size of the label space (length of the
            reported label counts).
        local_cfg (dict): Keyword arguments of :func:`local_train`
            (``steps``, ``batch_size``, ``lr``, ``momentum``,
            ``reg_batch_size``).
        reg_weight (float): α_t. Defaults to 0.0.
        label_probs (torch.Tensor, optional): Distribution of ŷ.
            Defaults to None.
        generator (nn.Module, optional): The broadcast generator, None
            for FedAvg or before it is trained. Defaults to None.
        seed (int): Seed of this client's round. Defaults to 0.
    """
    metrics = local_train(
        model,
        images,
        labels,
        generator=generator,
        label_probs=label_probs,
        reg_weight=reg_weight,
        seed=seed,
        **local_cfg)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return ClientUpdate(client_id, state, len(labels),
                        label_counts(labels.tolist(), num_classes), metrics)
