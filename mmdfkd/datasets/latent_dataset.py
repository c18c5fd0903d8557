from typing import Optional

import torch
from torch.utils.data import Dataset

from mmdfkd.registry import DATASETS


@DATASETS.register_module()
class LatentDataset(Dataset):
    """The source of latent batches that drives data-free training.

    Item ``i`` is a fixed function of ``(seed, i)``: ``draws`` latent vectors
    z ~ N(0, I) and, with ``num_classes``, class-balanced labels
    ``(i * draws + k) mod num_classes``. A distributed sampler therefore gives
    every rank different noise, and a run is reproducible from its sampler
    state. No image is read.

    Args:
        latent_dim (int): Size of each latent vector.
        draws (int): Latent vectors per item, one per step of a training
            round (the distiller cycles through them). Defaults to 1.
        num_classes (int, optional): Draw labels too. Defaults to None.
        length (int): Number of distinct items before they repeat.
            Defaults to 2**20.
        seed (int): Defaults to 0.
    """

    def __init__(self,
                 latent_dim: int,
                 draws: int = 1,
                 num_classes: Optional[int] = None,
                 length: int = 2**20,
                 seed: int = 0) -> None:
        if latent_dim < 1 or draws < 1 or length < 1:
            raise ValueError('latent_dim, draws and length must be positive')
        self.latent_dim = latent_dim
        self.draws = draws
        self.num_classes = num_classes
        self.length = length
        self.seed = seed
        self.metainfo = dict(num_classes=num_classes)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        gen = torch.Generator().manual_seed(self.seed * self.length + index)
        item = dict(
            latents=torch.randn(self.draws, self.latent_dim, generator=gen))
        if self.num_classes:
            first = index * self.draws
            item['labels'] = torch.arange(
                first, first + self.draws) % self.num_classes
        return item
