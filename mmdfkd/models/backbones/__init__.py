from .conv_net import ConvNet
from .lenet import LeNet5
from .wide_resnet import WideResNet

__all__ = ['ConvNet', 'LeNet5', 'WideResNet']
