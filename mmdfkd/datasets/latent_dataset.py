from typing import Optional

import torch
from torch.utils.data import Dataset

from mmdfkd.registry import DATASETS
from mmdfkd.utils.latents import draw_latents


@DATASETS.register_module()
class LatentDataset(Dataset):
    """The source of latent batches that drives data-free training.

    Item ``i`` is a fixed function of ``(seed, i)``, so a distributed
    sampler gives every rank different noise and a run is reproducible from
    its sampler state. No image is read.

    By default an item is its generator seed and index (``seed``,
    ``index``): the :class:`~mmdfkd.models.algorithms.DataFreeDistiller`
    draws from it as many latent vectors as a round of its schedule takes,
    of its synthesizer's latent size, with labels for its teacher's classes
    (:func:`mmdfkd.utils.draw_latents`). With ``draws`` the item holds
    the drawn ``latents`` (and ``labels``) itself, a fixed number that the
    steps of a round cycle through.

    Args:
        latent_dim (int, optional): Size of each latent vector; needed with
            ``draws``. Defaults to None.
        draws (int, optional): Latent vectors per item. Defaults to None
            (the distiller's schedule decides).
        num_classes (int, optional): With ``draws``: draw labels too.
            Defaults to None.
        length (int): Number of distinct items before they repeat.
            Defaults to 2**20.
        seed (int): Defaults to 0.
    """

    def __init__(self,
                 latent_dim: Optional[int] = None,
                 draws: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 length: int = 2**20,
                 seed: int = 0) -> None:
        if length < 1 or (draws is not None and draws < 1):
            raise ValueError('draws and length must be positive')
        if draws is not None and (latent_dim is None or latent_dim < 1):
            raise ValueError('LatentDataset with a fixed number of draws '
                             'needs a positive latent_dim')
        self.latent_dim = latent_dim
        self.draws = draws
        self.num_classes = num_classes
        self.length = length
        self.seed = seed
        self.metainfo = dict(num_classes=num_classes)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        seed = torch.tensor(self.seed * self.length + index)
        if self.draws is None:
            return dict(seed=seed, index=torch.tensor(index))
        latents, labels = draw_latents(seed.reshape(1),
                                       torch.tensor([index]), self.draws,
                                       self.latent_dim, self.num_classes)
        item = dict(latents=latents[0])
        if labels is not None:
            item['labels'] = labels[0]
        return item
