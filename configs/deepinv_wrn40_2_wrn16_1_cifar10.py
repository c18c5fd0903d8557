# DeepInversion (Yin et al., CVPR'20), CIFAR-10 WRN-40-2 → WRN-16-1.
# Published: teacher 94.87 %, DeepInversion student 83.04 % (the CMI paper's
# baseline table; the best data-free figure is CMI's 90.01 %).
# The recipe of deepinv_resnet34_resnet18_cifar10.py with the Wide ResNets
# (configs/_base_/models/wrn_cifar.py); train the teacher with
# configs/teachers/wrn40_2_cifar10.py.
_base_ = [
    './deepinv_resnet34_resnet18_cifar10.py',
    './_base_/models/wrn_cifar.py',
]

teacher_config = 'configs/teachers/wrn40_2_cifar10.py'
model = dict(
    teacher=dict(_base_.wrn40_2, _delete_=True),
    student=dict(_base_.wrn16_1, _delete_=True),
    teacher_ckpt='work_dirs/wrn40_2_cifar10/teacher.pth')
