"""Non-IID splits of a labelled dataset over federated clients."""
from typing import List, Sequence

import numpy as np


def label_counts(labels: Sequence[int], num_classes: int) -> np.ndarray:
    """How many samples of each class ``labels`` holds.

    Args:
        labels (Sequence[int]): Class indices in ``[0, num_classes)``.
        num_classes (int): Size of the label space.

    Returns:
        np.ndarray: ``int64`` array of shape ``(num_classes,)``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'labels must lie in [0, {num_classes}), got '
                         f'{labels.min()}..{labels.max()}')
    return np.bincount(labels, minlength=num_classes).astype(np.int64)


def dirichlet_partition(labels: Sequence[int],
                        num_clients: int,
                        alpha: float,
                        seed: int = 0,
                        min_size: int = 1,
                        max_draws: int = 1000) -> List[np.ndarray]:
    """Split sample indices over clients with Dirichlet label skew.

    For every class, the shares of its samples that go to each client are
    drawn from ``Dir(alpha · 1)``: a small ``alpha`` gives each client a
    few dominant classes, a large one approaches an IID split.

    A client with no (or too few) samples cannot train, so the rule is to
    re-draw the whole split (from the same seeded generator) until every
    client holds at least ``min_size`` samples; after ``max_draws``
    failed draws a ``ValueError`` says how to make the split feasible.

    Args:
        labels (Sequence[int]): Class index of every sample.
        num_clients (int): Number of clients K.
        alpha (float): Dirichlet concentration, > 0.
        seed (int): Seed of the draw; the split is a function of
            (labels, num_clients, alpha, seed, min_size). Defaults to 0.
        min_size (int): Fewest samples a client may hold, >= 1.
            Defaults to 1.
        max_draws (int): Draws tried before giving up. Defaults to 1000.

    Returns:
        list[np.ndarray]: ``num_clients`` sorted, disjoint index arrays
        that together cover every sample.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if not alpha > 0:
        raise ValueError(f'the Dirichlet alpha must be > 0, got {alpha}: '
                         'use a small positive value (e.g. 0.1) for a '
                         'strongly non-IID split')
    if num_clients < 1:
        raise ValueError(f'num_clients must be >= 1, got {num_clients}')
    if min_size < 1:
        raise ValueError(f'min_size must be >= 1, got {min_size}: a client '
                         'without samples cannot train')
    if num_clients * min_size > labels.size:
        raise ValueError(
            f'{labels.size} samples cannot give {num_clients} clients '
            f'{min_size} samples each: use fewer clients or a smaller '
            'min_size')
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    for _ in range(max_draws):
        parts: List[list] = [[] for _ in range(num_clients)]
        for c in classes:
            idx = rng.permutation(np.flatnonzero(labels == c))
            shares = rng.dirichlet(np.full(num_clients, float(alpha)))
            cuts = (np.cumsum(shares)[:-1] * idx.size).astype(int)
            for client, chunk in enumerate(np.split(idx, cuts)):
                parts[client].extend(chunk.tolist())
        if min(len(p) for p in parts) >= min_size:
            return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
    raise ValueError(
        f'no Dirichlet(alpha={alpha}) split of {labels.size} samples over '
        f'{num_clients} clients gave every client >= {min_size} samples in '
        f'{max_draws} draws: raise alpha, or lower num_clients or min_size')
