from .conv_net import ConvNet
from .wide_resnet import WideResNet

__all__ = ['ConvNet', 'WideResNet']
