from .conv_generator import ConvGenerator
from .dcgan_generator import DCGANGenerator
from .spatial_latent_generator import SpatialLatentGenerator

__all__ = ['ConvGenerator', 'DCGANGenerator', 'SpatialLatentGenerator']
