from .camvid import CamVidDataset
from .digits import DigitsDataset
from .fashion_mnist import FashionMNISTDataset
from .global_batch_sampler import GlobalBatchSampler
from .latent_dataset import LatentDataset
from .nyuv2 import NYUv2Dataset
from .street_scenes import write_street_scenes
from .svhn import SVHN
from .synthetic_pool_dataset import SyntheticPoolDataset

__all__ = [
    'CamVidDataset', 'DigitsDataset', 'FashionMNISTDataset',
    'GlobalBatchSampler', 'LatentDataset', 'NYUv2Dataset', 'SVHN',
    'SyntheticPoolDataset', 'write_street_scenes'
]
