"""Latent draws as a fixed function of an item's seed and index.

The latent source (:class:`mmdfkd.datasets.LatentDataset`) gives every
item a seed; how many draws a training round takes is the distiller's
business (its schedule), so the draws are made where that is known, with
this one function (the dataset makes fixed-count items with it too).
"""
from typing import Optional, Tuple

import torch


def draw_latents(seeds: torch.Tensor, indices: torch.Tensor, draws: int,
                 latent_dim: int, num_classes: Optional[int] = None
                 ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``draws`` latent vectors z ~ N(0, I) per item and, with
    ``num_classes``, class-balanced labels.

    Item ``i`` (seed ``s``, dataset index ``j``) gets
    ``randn(draws, latent_dim)`` from a generator seeded with ``s`` and the
    labels ``(j * draws + k) mod num_classes``, k < draws: the same values
    wherever (and on however many processes) they are drawn.

    Args:
        seeds (Tensor): (N,) int64 generator seeds.
        indices (Tensor): (N,) int64 dataset indices.
        draws (int): Latent vectors per item.
        latent_dim (int): Size of each latent vector.
        num_classes (int, optional): Draw labels too. Defaults to None.

    Returns:
        tuple: ``(latents, labels)``: N×draws×latent_dim float32 and
        N×draws int64 (or None), on the CPU.
    """
    latents = torch.stack([
        torch.randn(draws, latent_dim,
                    generator=torch.Generator().manual_seed(int(s)))
        for s in seeds.tolist()
    ]) if len(seeds) else torch.zeros(0, draws, latent_dim)
    labels = None
    if num_classes:
        first = indices.to(torch.int64).cpu().reshape(-1, 1) * draws
        labels = (first + torch.arange(draws)) % num_classes
    return latents, labels
