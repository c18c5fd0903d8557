# Fast DFKD (Fang et al., AAAI'22), CIFAR-100 WRN-40-2 → WRN-16-1.
# The recipe of fast_resnet34_resnet18_cifar100.py with the Wide ResNets;
# train the teacher with configs/teachers/wrn40_2_cifar100.py.
_base_ = ['./fast_resnet34_resnet18_cifar100.py']

model = dict(
    teacher=dict(
        backbone=dict(
            _delete_=True, type='mmdfkd.WideResNet', depth=40,
            widen_factor=2),
        head=dict(in_channels=128)),
    student=dict(
        backbone=dict(
            _delete_=True, type='mmdfkd.WideResNet', depth=16,
            widen_factor=1),
        head=dict(in_channels=64)),
    teacher_ckpt='work_dirs/teachers/wrn40_2_cifar100/epoch_200.pth')
