from .digits import DigitsDataset
from .latent_dataset import LatentDataset

__all__ = ['DigitsDataset', 'LatentDataset']
