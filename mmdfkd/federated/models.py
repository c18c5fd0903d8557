"""The federated classifier (feature extractor + head) and FedGen's
conditional feature generator."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmdfkd.registry import MODELS


@MODELS.register_module()
class FedClassifier(nn.Module):
    """A small ConvNet split into a feature extractor and a linear head.

    FedGen's generator produces latents in the space between the two, so
    the split is part of the interface: :meth:`extract` gives the latent
    of an image batch and :attr:`head` maps latents to logits.

    Args:
        in_channels (int): Image channels. Defaults to 1.
        num_classes (int): Size of the label space. Defaults to 10.
        latent_dim (int): Width of the latent fed to the head.
            Defaults to 32.
        base_channels (int): Channels of the first conv. Defaults to 16.
        img_size (int): Height and width of the (square) input, a multiple
            of ``2 * stem_stride``. Defaults to 8.
        stem_stride (int): Stride of the first conv; 2 on 28×28 inputs
            cuts the cost of a step by 4 (1.8 vs 7.2 ms for a batch of 32,
            one CPU thread). Defaults to 1.
    """

    def __init__(self,
                 in_channels: int = 1,
                 num_classes: int = 10,
                 latent_dim: int = 32,
                 base_channels: int = 16,
                 img_size: int = 8,
                 stem_stride: int = 1) -> None:
        super().__init__()
        if img_size % (2 * stem_stride):
            raise ValueError(f'img_size must be a multiple of 2 * '
                             f'stem_stride = {2 * stem_stride}, got '
                             f'{img_size}')
        c = base_channels
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        side = img_size // stem_stride // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, stride=stem_stride, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Flatten(),
            nn.Linear(2 * c * side**2, latent_dim),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(latent_dim, num_classes)

    def extract(self, x: torch.Tensor) -> torch.Tensor:
        """Latent features of an image batch ``(N, C, H, W)``."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of an image batch."""
        return self.head(self.extract(x))


@MODELS.register_module()
class FeatureGenerator(nn.Module):
    """FedGen's conditional generator: noise ⊕ one-hot label → MLP →
    latent in the classifier's feature space.

    Args:
        num_classes (int): Size of the label space. Defaults to 10.
        latent_dim (int): Width of the produced latent (the classifier's
            ``latent_dim``). Defaults to 32.
        noise_dim (int): Width of the Gaussian noise ε. Defaults to 32.
        hidden_dim (int): Width of the hidden layer. Defaults to 128.
    """

    def __init__(self,
                 num_classes: int = 10,
                 latent_dim: int = 32,
                 noise_dim: int = 32,
                 hidden_dim: int = 128) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.noise_dim = noise_dim
        self.body = nn.Sequential(
            nn.Linear(noise_dim + num_classes, hidden_dim),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, latent_dim),
        )

    def forward(
        self,
        labels: torch.Tensor,
        noise: Optional[torch.Tensor] = None,
        generator: Optional[torch.Generator] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Latents for ``labels`` (N,) and the noise they came from.

        Args:
            labels (torch.Tensor): Class indices ``(N,)``.
            noise (torch.Tensor, optional): ε ``(N, noise_dim)``; drawn
                from N(0, I) when None. Defaults to None.
            generator (torch.Generator, optional): RNG for that draw.
                Defaults to None.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``(latent, noise)``.
        """
        if noise is None:
            noise = torch.randn(
                labels.shape[0],
                self.noise_dim,
                generator=generator,
                device=labels.device)
        onehot = F.one_hot(labels, self.num_classes).to(noise.dtype)
        return self.body(torch.cat([noise, onehot], dim=1)), noise
