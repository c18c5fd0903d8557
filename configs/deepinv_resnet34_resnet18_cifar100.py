# DeepInversion (Yin et al., CVPR'20), CIFAR-100 ResNet-34 → ResNet-18.
# Published: teacher 78.05 %, DeepInversion student 61.32 % (the CMI paper's
# baseline table; the best data-free figure is CMI's 77.04 %).
# The recipe of deepinv_resnet34_resnet18_cifar10.py with CIFAR-100 data and
# 100-class networks (configs/_base_/data_free/cifar100_parts.py).
_base_ = [
    './deepinv_resnet34_resnet18_cifar10.py',
    './_base_/data_free/cifar100_parts.py',
]

teacher_config = _base_.cifar100_teacher_config
model = _base_.cifar100_model
val_dataloader = _base_.cifar100_val_dataloader
test_dataloader = _base_.cifar100_test_dataloader
