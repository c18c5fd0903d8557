from .digits import DigitsDataset
from .latent_dataset import LatentDataset
from .synthetic_pool_dataset import SyntheticPoolDataset

__all__ = ['DigitsDataset', 'LatentDataset', 'SyntheticPoolDataset']
