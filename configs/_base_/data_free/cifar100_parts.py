# What turns a CIFAR-10 data-free config into its CIFAR-100 twin: ResNet-34
# teacher and ResNet-18 student with 100-class heads and CIFAR-100
# normalisation (the latents' labels follow the teacher's 100 classes), and
# CIFAR-100's images for validation (the first 5,000 training images) and
# testing. Only uniquely named variables, so it can stand beside a CIFAR-10
# method config in `_base_`:
#     _base_ = ['./cmi_resnet34_resnet18_cifar10.py',
#               './_base_/data_free/cifar100_parts.py']
#     model = _base_.cifar100_model
#     val_dataloader = _base_.cifar100_val_dataloader
#     test_dataloader = _base_.cifar100_test_dataloader
#
#     teacher_config = _base_.cifar100_teacher_config
#
# mmpretrain ships no ResNet-34/18 CIFAR-100 config, so the networks are its
# CIFAR-10 ones (_base_/models/resnet34_cifar.py, resnet18_cifar.py) written
# inline with 100 classes and the normalisation of cifar100_bs16.py. The
# teacher's training config is mmpretrain's CIFAR-100 recipe at depth 34
# (configs/teachers/resnet34_cifar100.py); `python tools/train.py
# <teacher_config>` writes the weights `teacher_ckpt` reads.
cifar100_teacher_config = 'configs/teachers/resnet34_cifar100.py'
cifar100_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)
cifar100_teacher = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=cifar100_preprocessor,
    backbone=dict(
        type='ResNet_CIFAR',
        depth=34,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
# the student: the same network at depth 18
cifar100_student = dict(
    cifar100_teacher,
    backbone=dict(cifar100_teacher['backbone'], depth=18))
cifar100_model = dict(
    teacher=dict(cifar100_teacher, _delete_=True),
    student=dict(cifar100_student, _delete_=True),
    teacher_ckpt='work_dirs/resnet34_cifar100/teacher.pth')
cifar100_val_dataloader = dict(
    dataset=dict(type='mmpretrain.CIFAR100', data_root='data/cifar100'))
cifar100_test_dataloader = cifar100_val_dataloader
# WRN-40-2 → WRN-16-1 instead (configs/_base_/models/wrn_cifar.py), on top
# of cifar100_model: the 100-class heads and normalisation stay.
cifar100_wrn_teacher_config = 'configs/teachers/wrn40_2_cifar100.py'
cifar100_wrn_model = dict(
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
    teacher_ckpt='work_dirs/wrn40_2_cifar100/teacher.pth')
