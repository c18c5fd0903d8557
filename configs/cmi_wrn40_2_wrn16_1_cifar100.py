# CMI (Fang et al., IJCAI'21), CIFAR-100 WRN-40-2 → WRN-16-1.
# Published: teacher 75.83 %, CMI student 57.91 % (the CMI paper's table;
# not in ALGORITHMS.md).
# The recipe of cmi_resnet34_resnet18_cifar100.py with the Wide ResNets
# (100-class heads, CIFAR-100 normalisation kept from the base); train the
# teacher with configs/teachers/wrn40_2_cifar100.py. As for CIFAR-10, the
# contrastive features are the inputs of every teacher BatchNorm layer.
_base_ = ['./cmi_resnet34_resnet18_cifar100.py']

teacher_config = _base_.cifar100_wrn_teacher_config
model = dict(
    _base_.cifar100_wrn_model, synthesizer=dict(feature_layers=None))
