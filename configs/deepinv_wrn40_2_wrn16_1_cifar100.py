# DeepInversion (Yin et al., CVPR'20), CIFAR-100 WRN-40-2 → WRN-16-1.
# Published: teacher 75.83 %, DeepInversion student 53.77 % (the CMI paper's
# baseline table; CMI 57.91 % there).
# The recipe of deepinv_resnet34_resnet18_cifar100.py with the Wide ResNets
# (100-class heads, CIFAR-100 normalisation kept from the base); train the
# teacher with configs/teachers/wrn40_2_cifar100.py.
_base_ = ['./deepinv_resnet34_resnet18_cifar100.py']

teacher_config = _base_.cifar100_wrn_teacher_config
model = _base_.cifar100_wrn_model
