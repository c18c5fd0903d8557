"""The server: FedAvg aggregation weighted by sample counts (also
FedProx's), and FedGen's generator step from the clients' heads and label
counts."""
import copy
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .client import ClientUpdate, check_generator, regulariser_weight


def weighted_average(states: Sequence[Dict[str, torch.Tensor]],
                     weights: Sequence[float]) -> Dict[str, torch.Tensor]:
    """Σ_k w_k · state_k / Σ_k w_k, key by key (FedAvg).

    Args:
        states (Sequence[dict]): ``state_dict`` of every client, same keys.
        weights (Sequence[float]): Non-negative weights, e.g. sample
            counts.
    """
    if not states:
        raise ValueError('nothing to aggregate: no client replied')
    w = torch.as_tensor(weights, dtype=torch.float64)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f'weights must be >= 0 with a positive sum, got '
                         f'{list(weights)}')
    w = w / w.sum()
    out = {}
    for key, ref in states[0].items():
        acc = sum(wk * s[key].double() for wk, s in zip(w, states))
        out[key] = acc.to(ref.dtype)
    return out


def diversity_loss(noise: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
    """exp(−mean_{i,j} d(ε_i, ε_j) · d(G_i, G_j)).

    d is the root-mean-square coordinate difference (the Euclidean
    distance over √dim), so the product stays O(1) whatever the widths
    of ε and of the latent; the term falls as latents of distinct noises
    spread apart.
    """
    d_noise = torch.cdist(noise, noise) / noise.shape[1]**0.5
    d_latent = torch.cdist(latent, latent) / latent.shape[1]**0.5
    return torch.exp(-(d_noise * d_latent).mean())


class FedGenServer:
    """Server state of FedGen, or of FedAvg / FedProx when ``generator``
    is None.

    A round: :meth:`round_config` says what to broadcast, the clients
    train, :meth:`finish_round` checks their replies, averages their
    models by sample count and (FedGen) trains the generator so that
    every client's head classifies G(ε, y) as y, client k's term weighted
    by its share n_{k,y} / Σ_j n_{j,y} of label y, plus the diversity
    term. FedProx differs from FedAvg only on the clients (the proximal
    weight μ it broadcasts).

    Args:
        model (nn.Module): The global model (a classifier with ``head``).
        generator (nn.Module, optional): The feature generator; None runs
            FedAvg (or FedProx with ``prox_mu > 0``). Defaults to None.
        num_classes (int): Label space every client must share.
            Defaults to 10.
        gen_steps (int): Generator updates per round. Defaults to 50.
        gen_batch_size (int): Latents per update. Defaults to 128.
        gen_lr (float): Adam learning rate of the generator.
            Defaults to 1e-3.
        diversity_weight (float): Weight of :func:`diversity_loss`.
            Defaults to 1.0.
        reg_weight (float): Clients' teacher-term weight α_0 at round 1.
            Defaults to 1.0.
        latent_weight (float): Clients' latent-matching weight β_0 at
            round 1 (0: the term is off). Defaults to 0.0.
        reg_decay (float): α_t and β_t decay per round. Defaults to 0.98.
        prox_mu (float): FedProx's μ broadcast to the clients (0: none).
            Defaults to 0.0.
        seed (int): Seed of the generator's noise and labels.
            Defaults to 0.
    """

    def __init__(self,
                 model: nn.Module,
                 generator: Optional[nn.Module] = None,
                 num_classes: int = 10,
                 gen_steps: int = 50,
                 gen_batch_size: int = 128,
                 gen_lr: float = 1e-3,
                 diversity_weight: float = 1.0,
                 reg_weight: float = 1.0,
                 latent_weight: float = 0.0,
                 reg_decay: float = 0.98,
                 prox_mu: float = 0.0,
                 seed: int = 0) -> None:
        if generator is not None and generator.num_classes != num_classes:
            raise ValueError(
                f'the generator has {generator.num_classes} classes but '
                f'the server expects {num_classes}: build both with the '
                'same num_classes')
        if generator is not None:
            check_generator(model, generator)
        if prox_mu < 0:
            raise ValueError(f'prox_mu must be >= 0, got {prox_mu}')
        self.model = model
        self.generator = generator
        self.num_classes = num_classes
        self.gen_steps = gen_steps
        self.gen_batch_size = gen_batch_size
        self.diversity_weight = diversity_weight
        self.reg_weight = reg_weight
        self.latent_weight = latent_weight
        self.reg_decay = reg_decay
        self.prox_mu = prox_mu
        self.rng = torch.Generator().manual_seed(seed)
        self.optimizer = None
        if generator is not None:
            self.optimizer = torch.optim.Adam(
                generator.parameters(), lr=gen_lr)
        # the generator is useful to clients only once it has been trained
        # on some heads, i.e. from the round after the first aggregation
        self.generator_ready = False
        self.label_probs = torch.full((num_classes, ), 1.0 / num_classes)

    def round_config(self, server_round: int) -> dict:
        """What the clients need for round ``server_round`` (>= 1):
        ``reg_weight`` (α_t) and ``latent_weight`` (β_t), both 0 while no
        generator is ready, ``prox_mu`` and ``label_probs`` (the global
        label distribution)."""
        reg = latent = 0.0
        if self.generator is not None and self.generator_ready:
            reg = regulariser_weight(server_round, self.reg_weight,
                                     self.reg_decay)
            latent = regulariser_weight(server_round, self.latent_weight,
                                        self.reg_decay)
        return dict(
            reg_weight=reg,
            latent_weight=latent,
            prox_mu=float(self.prox_mu),
            label_probs=self.label_probs.clone())

    def check_update(self, update: ClientUpdate) -> None:
        """Refuse a client whose label space or model architecture differs
        from the server's (and its generator's)."""
        counts = np.asarray(update.label_counts)
        head = self.model.head.weight.shape[0]
        got = update.state.get('head.weight')
        if counts.shape != (self.num_classes, ) or (
                got is not None and got.shape[0] != head):
            n = got.shape[0] if got is not None else counts.size
            raise ValueError(
                f'client {update.client_id} has a label space of '
                f'{counts.size} label counts / {n} head outputs, but the '
                f'server and its generator use {self.num_classes} classes: '
                'every client must be built with the same num_classes and '
                'report counts for all of them (zeros for absent classes)')
        width = self.model.head.weight.shape[1]
        if got is not None and got.shape[1] != width:
            made = ('its generator makes' if self.generator is not None
                    else 'the global model uses')
            raise ValueError(
                f'client {update.client_id}\'s head takes {got.shape[1]}-d '
                f'features, but {made} {width}-d latents: build every '
                'client\'s model with the latent_dim of the server\'s model '
                'and generator')
        expected = self.model.state_dict()
        for key, value in expected.items():
            if key not in update.state or \
                    update.state[key].shape != value.shape:
                shape = (tuple(update.state[key].shape)
                         if key in update.state else 'missing')
                raise ValueError(
                    f'client {update.client_id}\'s model differs from the '
                    f'global model: {key!r} is {shape}, expected '
                    f'{tuple(value.shape)}: every client must build the '
                    'server\'s model config')

    def heads(self, updates: Sequence[ClientUpdate]) -> List[nn.Module]:
        """A frozen copy of every client's head."""
        heads = []
        for u in updates:
            head = copy.deepcopy(self.model.head)
            head.load_state_dict({
                k[len('head.'):]: v
                for k, v in u.state.items() if k.startswith('head.')
            })
            head.requires_grad_(False)
            heads.append(head.eval())
        return heads

    def generator_loss(self, heads: Sequence[nn.Module],
                       counts: torch.Tensor) -> Dict[str, torch.Tensor]:
        """One batch of the generator objective.

        Args:
            heads (Sequence[nn.Module]): The clients' (frozen) heads.
            counts (torch.Tensor): Label counts ``(K, C)``, one row per
                head.

        Returns:
            dict[str, torch.Tensor]: ``loss`` (to minimise), ``teacher``
            (the count-weighted CE) and ``diversity``.
        """
        totals = counts.sum(0)
        probs = totals / totals.sum()
        labels = torch.multinomial(
            probs, self.gen_batch_size, replacement=True, generator=self.rng)
        latent, noise = self.generator(labels, generator=self.rng)
        # client k's share of each sampled label: Σ_k share = 1 per label
        share = counts[:, labels] / totals[labels]
        teacher = sum(
            (share[k] * F.cross_entropy(h(latent), labels, reduction='none'))
            for k, h in enumerate(heads)).mean()
        diversity = diversity_loss(noise, latent)
        loss = teacher + self.diversity_weight * diversity
        return dict(loss=loss, teacher=teacher, diversity=diversity)

    def train_generator(self, updates: Sequence[ClientUpdate]
                        ) -> Dict[str, float]:
        """``gen_steps`` Adam steps on :meth:`generator_loss`.

        Returns:
            dict[str, float]: the teacher loss of the first and last step.
        """
        heads = self.heads(updates)
        counts = torch.as_tensor(
            np.stack([u.label_counts for u in updates]), dtype=torch.float32)
        self.generator.train()
        first = last = float('nan')
        for step in range(self.gen_steps):
            terms = self.generator_loss(heads, counts)
            self.optimizer.zero_grad()
            terms['loss'].backward()
            self.optimizer.step()
            last = terms['teacher'].item()
            if step == 0:
                first = last
        self.generator.eval()
        self.generator_ready = True
        return dict(generator_teacher_first=first, generator_teacher_last=last)

    def finish_round(self, updates: Sequence[ClientUpdate]
                     ) -> Dict[str, float]:
        """Aggregate the replies of one round (and train the generator).

        Args:
            updates (Sequence[ClientUpdate]): The clients that replied.

        Returns:
            dict[str, float]: figures for the round log.
        """
        if not updates:
            raise RuntimeError('every client of the round dropped out: '
                               'nothing to aggregate')
        for u in updates:
            self.check_update(u)
        weights = [u.num_examples for u in updates]
        self.model.load_state_dict(
            weighted_average([u.state for u in updates], weights))
        counts = np.sum([u.label_counts for u in updates], axis=0)
        log = dict(num_examples=float(sum(weights)))
        if self.generator is not None:
            self.label_probs = torch.as_tensor(
                counts / counts.sum(), dtype=torch.float32)
            log.update(self.train_generator(updates))
        return log

    def generator_state(self) -> Optional[Dict[str, torch.Tensor]]:
        """The generator's weights to broadcast (None for FedAvg or while
        it is untrained)."""
        if self.generator is None or not self.generator_ready:
            return None
        return self.generator.state_dict()
