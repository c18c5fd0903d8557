from .conv_generator import ConvGenerator
from .dcgan_generator import DCGANGenerator

__all__ = ['ConvGenerator', 'DCGANGenerator']
