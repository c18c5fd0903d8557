# Fast DFKD (Fang et al., AAAI'22), CIFAR-10 WRN-40-2 → WRN-16-1.
# Published: teacher 94.87 %, Fast-10 student 89.29 % (ALGORITHMS.md).
# The recipe of fast_resnet34_resnet18_cifar10.py with the Wide ResNets
# and the authors' loss weights for them (0.4 one-hot, 1.1 adversarial);
# train the teacher with configs/teachers/wrn40_2_cifar10.py.
_base_ = [
    './fast_resnet34_resnet18_cifar10.py',
    './_base_/models/wrn_cifar.py',
]

teacher_config = 'configs/teachers/wrn40_2_cifar10.py'
model = dict(
    teacher=dict(_base_.wrn40_2, _delete_=True),
    student=dict(_base_.wrn16_1, _delete_=True),
    teacher_ckpt='work_dirs/wrn40_2_cifar10/teacher.pth',
    generator_losses=dict(
        onehot=dict(loss_weight=0.4), adv=dict(loss_weight=1.1)))
