# DDAD, CIFAR-100 ResNet-34 → ResNet-18: the recipe of
# ddad_resnet34_resnet18_cifar10.py with CIFAR-100 data and 100-class
# networks (configs/_base_/data_free/cifar100_parts.py).
_base_ = [
    './ddad_resnet34_resnet18_cifar10.py',
    './_base_/data_free/cifar100_parts.py',
]

teacher_config = _base_.cifar100_teacher_config
model = _base_.cifar100_model
val_dataloader = _base_.cifar100_val_dataloader
test_dataloader = _base_.cifar100_test_dataloader
