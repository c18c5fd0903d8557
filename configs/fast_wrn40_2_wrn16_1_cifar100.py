# Fast DFKD (Fang et al., AAAI'22), CIFAR-100 WRN-40-2 → WRN-16-1.
# The recipe of fast_resnet34_resnet18_cifar100.py with the Wide ResNets;
# train the teacher with configs/teachers/wrn40_2_cifar100.py.
_base_ = ['./fast_resnet34_resnet18_cifar100.py']

teacher_config = _base_.cifar100_wrn_teacher_config
model = _base_.cifar100_wrn_model
