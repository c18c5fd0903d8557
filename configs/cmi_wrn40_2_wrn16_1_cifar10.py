# CMI (Fang et al., IJCAI'21), CIFAR-10 WRN-40-2 → WRN-16-1.
# Published: teacher 94.87 %, CMI student 90.01 % (ALGORITHMS.md: 88.8–90.0
# across reports).
# The recipe of cmi_resnet34_resnet18_cifar10.py with the Wide ResNets
# (configs/_base_/models/wrn_cifar.py); train the teacher with
# configs/teachers/wrn40_2_cifar10.py. The contrastive features are the
# inputs of every teacher BatchNorm layer, as in the authors' code for
# WRNs: 2,704 values a view, so the memory bank takes 40,960 × 5,408
# floats (886 MB).
_base_ = [
    './cmi_resnet34_resnet18_cifar10.py',
    './_base_/models/wrn_cifar.py',
]

teacher_config = 'configs/teachers/wrn40_2_cifar10.py'
model = dict(
    teacher=dict(_base_.wrn40_2, _delete_=True),
    student=dict(_base_.wrn16_1, _delete_=True),
    teacher_ckpt='work_dirs/wrn40_2_cifar10/teacher.pth',
    synthesizer=dict(feature_layers=None))
