from .conv_generator import ConvGenerator

__all__ = ['ConvGenerator']
