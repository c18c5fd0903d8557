from .digits import DigitsDataset
from .latent_dataset import LatentDataset
from .svhn import SVHN
from .synthetic_pool_dataset import SyntheticPoolDataset

__all__ = ['DigitsDataset', 'LatentDataset', 'SVHN', 'SyntheticPoolDataset']
