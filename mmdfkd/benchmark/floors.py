"""Floors: the forward and backward passes a method's math needs, as bare
PyTorch calls, to compare the real step against.

Every floor runs freshly built copies of the networks (no hooks, weights
of a frozen network with ``requires_grad=False``, so no weight gradient),
a plain scalar loss (a sum of the outputs: the loss terms themselves are
not part of the floor) and the optimiser step the method takes. Inputs
are not normalised and no views (augmentations) are applied: both belong
to the method's cost, not to its floor.
"""
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

Floor = Tuple[Callable[[], None], str]


def _logits(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return net(x, mode='tensor')


def generator_step(generator: nn.Module, teacher: nn.Module,
                   student: Optional[nn.Module], z: torch.Tensor,
                   iters: int, train_latents: bool = False) -> Floor:
    """G forward; teacher (and student, if a term reads it) forward;
    backward through both to G's parameters (and the latents); Adam."""
    z = z.detach().clone().requires_grad_(train_latents)
    params = list(generator.parameters()) + ([z] if train_latents else [])
    optimizer = torch.optim.Adam(params, lr=1e-4)

    def step():
        for _ in range(iters):
            x = generator(z)
            loss = _logits(teacher, x).sum()
            if student is not None:
                loss = loss + _logits(student, x).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    nets = 'T' + ('+S' if student is not None else '')
    latents = ' and z' if train_latents else ''
    return step, (f'G fwd; {nets} fwd; bwd to G{latents}; Adam')


def pixel_step(images: torch.Tensor, teacher: nn.Module,
               student: Optional[nn.Module], iters: int) -> Floor:
    """Teacher (and student, if a term reads it) forward on trainable
    pixels, backward to the pixels, Adam."""
    x = images.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=1e-4)

    def step():
        for _ in range(iters):
            loss = _logits(teacher, x).sum()
            if student is not None:
                loss = loss + _logits(student, x).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    nets = 'T' + ('+S' if student is not None else '')
    return step, f'{nets} fwd; bwd to the pixels; Adam'


def contrastive_step(generator: nn.Module, teacher: nn.Module,
                     student: Optional[nn.Module], head: nn.Module,
                     z: torch.Tensor, num_negatives: int,
                     iters: int) -> Floor:
    """CMI: G forward; the teacher on two views (global, local), the
    student on the global one; the projection head on both views' pooled
    features and on ``num_negatives`` raw bank rows of each view, the
    contrastive logits of all rows; backward through everything to G, the
    latents and the head; Adam on both."""
    z = z.detach().clone().requires_grad_(True)
    head.requires_grad_(True)
    optimizer = torch.optim.Adam(list(generator.parameters()) + [z],
                                 lr=1e-4)
    head_optimizer = torch.optim.Adam(head.parameters(), lr=1e-4)
    in_dim = head[0].in_features
    n = len(z)
    feats = torch.randn(2 * n, in_dim, device=z.device)
    negatives = torch.randn(num_negatives, 2 * in_dim, device=z.device)

    def step():
        for _ in range(iters):
            x = generator(z)
            loss = _logits(teacher, x).sum() + _logits(teacher, x).sum()
            if student is not None:
                loss = loss + _logits(student, x).sum()
            rows = torch.cat([feats[:n], negatives[:, :in_dim],
                              feats[n:], negatives[:, in_dim:]])
            local, global_ = F.normalize(head(rows), dim=1).chunk(2)
            loss = loss + (local @ global_.detach().t()).sum()
            optimizer.zero_grad(set_to_none=True)
            head_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            head_optimizer.step()

    nets = 'S fwd on 1 view; ' if student is not None else ''
    return step, (f'G fwd; T fwd on 2 views; {nets}head on 2×(N + '
                  f'{num_negatives}) feature rows + their logits; bwd to '
                  'G, z and head; Adam')


def kd_step(teacher: nn.Module, student: nn.Module, optimizer_cfg: dict,
            images: Optional[torch.Tensor], generator: Optional[nn.Module],
            z: torch.Tensor, tau: float, iters: int) -> Floor:
    """A bare KD step: the batch (given, or ``generator(z)`` without
    gradient for online methods), teacher forward without gradient,
    student forward, τ²·KL, backward, the recipe's optimiser step."""
    cfg = dict(optimizer_cfg)
    optimizer = getattr(torch.optim, cfg.pop('type'))(student.parameters(),
                                                      **cfg)

    def step():
        for _ in range(iters):
            if images is None:
                with torch.no_grad():
                    x = generator(z)
            else:
                x = images
            with torch.no_grad():
                t = _logits(teacher, x)
            s = _logits(student, x)
            loss = F.kl_div(
                F.log_softmax(s / tau, dim=1),
                F.log_softmax(t / tau, dim=1),
                reduction='batchmean',
                log_target=True) * tau * tau
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    batch = 'G fwd (no grad); ' if images is None else ''
    return step, (f'{batch}T fwd (no grad); S fwd; KL; bwd to S; '
                  f'{optimizer_cfg["type"]} step')
