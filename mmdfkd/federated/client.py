"""A client's local step: cross-entropy on its own data, plus FedGen's
two generator terms or FedProx's proximal term (FedAvg is the
cross-entropy alone)."""
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence

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


def check_generator(model: nn.Module, generator: nn.Module) -> None:
    """Refuse a generator whose latents the model's head cannot take.

    Raises:
        ValueError: when the generator's ``latent_dim`` differs from the
            width of the head's input or its ``num_classes`` from the
            head's outputs.
    """
    width, classes = model.head.in_features, model.head.out_features
    if generator.latent_dim != width or generator.num_classes != classes:
        raise ValueError(
            f'the generator makes {generator.latent_dim}-d latents for '
            f'{generator.num_classes} classes, but this model\'s head takes '
            f'{width}-d features to {classes} classes: build the client\'s '
            'model and the server\'s generator with the same latent_dim and '
            'num_classes')


def fedgen_regulariser(model: nn.Module, generator: nn.Module,
                       label_probs: torch.Tensor, batch_size: int,
                       rng: torch.Generator) -> torch.Tensor:
    """FedGen's teacher term CE(h(G(ε, ŷ)), ŷ) with ŷ drawn from
    ``label_probs``.

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


def latent_matching(logits: torch.Tensor, model: nn.Module,
                    generator: nn.Module, labels: torch.Tensor,
                    rng: torch.Generator) -> torch.Tensor:
    """FedGen's latent-matching term (the authors' code,
    ``userpFedGen.py``): KL(p_G ‖ p_x), the batch mean of
    Σ_c p_G,c · (log p_G,c − log p_x,c), where p_x = softmax(``logits``)
    is the model's prediction on the real batch and p_G =
    softmax(h(G(ε, y))) its head's prediction on generated latents of the
    same labels y.

    p_G is a fixed target (no gradient reaches the generator or the head
    through it); the gradient reaches the whole model through ``logits``.

    Args:
        logits (torch.Tensor): The model's logits on the real batch,
            ``(N, C)``.
        model (nn.Module): The classifier (its ``head`` makes p_G).
        generator (nn.Module): The server's feature generator.
        labels (torch.Tensor): The real batch's labels ``(N,)``.
        rng (torch.Generator): RNG for ε.
    """
    with torch.no_grad():
        latent, _ = generator(labels, generator=rng)
        target = F.softmax(model.head(latent), dim=1)
    return F.kl_div(
        F.log_softmax(logits, dim=1), target, reduction='batchmean')


def proximal_term(model: nn.Module,
                  anchor: Sequence[torch.Tensor]) -> torch.Tensor:
    """FedProx's ‖w − w_t‖²: squared distance of the model's parameters
    from ``anchor`` (the global weights of the round, in
    ``model.parameters()`` order); the loss adds μ/2 times it."""
    return sum(((p - a)**2).sum() for p, a in zip(model.parameters(), anchor))


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
                latent_weight: float = 0.0,
                reg_batch_size: int = 64,
                prox_mu: float = 0.0,
                seed: int = 0) -> Dict[str, float]:
    """Train ``model`` in place on one client's data for ``steps`` SGD
    steps. Every step minimises

    ``CE(h(f(x)), y) + reg_weight · CE(h(G(ε, ŷ)), ŷ)
    + latent_weight · KL(p_G ‖ p_x) + prox_mu / 2 · ‖w − w_t‖²``

    where the two generator terms (FedGen, see :func:`fedgen_regulariser`
    and :func:`latent_matching`) need a generator and the last is
    FedProx's proximal term around the weights the model starts from.
    FedAvg is the first term alone.

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
            FedAvg / FedProx. Defaults to None.
        label_probs (torch.Tensor, optional): Distribution of ŷ, needed
            with a generator. Defaults to None.
        reg_weight (float): α_t of the teacher term. Defaults to 0.0.
        latent_weight (float): β_t of the latent-matching term.
            Defaults to 0.0.
        reg_batch_size (int): Generated latents per step for the teacher
            term. Defaults to 64.
        prox_mu (float): FedProx's μ (0: no proximal term).
            Defaults to 0.0.
        seed (int): Seed of the batch order, ŷ and ε. Defaults to 0.

    Returns:
        dict[str, float]: ``loss_ce``, ``loss_reg``, ``loss_latent`` and
        ``loss_prox`` (unweighted), means over steps.
    """
    if len(images) == 0:
        raise ValueError('this client has no samples: it cannot train; '
                         'give every client data (see dirichlet_partition'
                         "'s min_size)")
    if prox_mu < 0:
        raise ValueError(f'prox_mu must be >= 0, got {prox_mu}')
    use_reg = generator is not None and reg_weight > 0
    use_latent = generator is not None and latent_weight > 0
    if generator is not None:
        check_generator(model, generator)
        generator.eval()
    if use_reg and label_probs is None:
        raise ValueError('the FedGen regulariser needs label_probs')
    anchor = [p.detach().clone() for p in model.parameters()]
    rng = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    model.train()
    order = torch.empty(0, dtype=torch.long)
    sums = dict(loss_ce=0.0, loss_reg=0.0, loss_latent=0.0, loss_prox=0.0)
    for _ in range(steps):
        if order.numel() < min(batch_size, len(images)):
            order = torch.randperm(len(images), generator=rng)
        batch, order = order[:batch_size], order[batch_size:]
        logits = model(images[batch])
        loss = F.cross_entropy(logits, labels[batch])
        sums['loss_ce'] += loss.item()
        if use_reg:
            reg = fedgen_regulariser(model, generator, label_probs,
                                     reg_batch_size, rng)
            sums['loss_reg'] += reg.item()
            loss = loss + reg_weight * reg
        if use_latent:
            latent = latent_matching(logits, model, generator,
                                     labels[batch], rng)
            sums['loss_latent'] += latent.item()
            loss = loss + latent_weight * latent
        if prox_mu > 0:
            prox = proximal_term(model, anchor)
            sums['loss_prox'] += prox.item()
            loss = loss + prox_mu / 2 * prox
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
                  round_cfg: Optional[dict] = None,
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
        round_cfg (dict, optional): What the server broadcast for this
            round (:meth:`FedGenServer.round_config`): ``reg_weight``,
            ``latent_weight``, ``prox_mu``, ``label_probs``; None: plain
            local training. Defaults to None.
        generator (nn.Module, optional): The broadcast generator, None
            for FedAvg / FedProx or before it is trained. Defaults to None.
        seed (int): Seed of this client's round. Defaults to 0.
    """
    round_cfg = round_cfg or {}
    metrics = local_train(
        model,
        images,
        labels,
        generator=generator,
        label_probs=round_cfg.get('label_probs'),
        reg_weight=round_cfg.get('reg_weight', 0.0),
        latent_weight=round_cfg.get('latent_weight', 0.0),
        prox_mu=round_cfg.get('prox_mu', 0.0),
        seed=seed,
        **local_cfg)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return ClientUpdate(client_id, state, len(labels),
                        label_counts(labels.tolist(), num_classes), metrics)
