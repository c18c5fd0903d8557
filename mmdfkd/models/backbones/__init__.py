from .conv_net import ConvNet

__all__ = ['ConvNet']
