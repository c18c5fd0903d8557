# Knowledge distillation with real data on digits (_base_/methods/kd.py; a
# reference for the data-free methods): the digits teacher (configs/
# teachers/digits_convnet.py) teaches the half-width student on the real
# train split; validation on the val split, testing on the held-out test
# split.
_base_ = [
    './_base_/datasets/digits.py',
    './_base_/models/digits_teacher.py',
    './_base_/models/digits_student.py',
    './_base_/distill_runtime.py',
    './_base_/methods/kd.py',
]

# The teacher's training config, and the weights `python tools/train.py
# <teacher_config>` writes (its TeacherExportHook).
teacher_config = 'configs/teachers/digits_convnet.py'
teacher_ckpt = 'work_dirs/digits_convnet/teacher.pth'
train_dataloader = dict(
    batch_size=64, sampler=dict(type='InfiniteSampler', shuffle=True))
model = dict(
    _base_.kd_model,
    teacher=_base_.teacher,
    student=_base_.student,
    teacher_ckpt=teacher_ckpt)

max_iters = 1200  # 72 passes over the 1068 train images
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(student=[
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=5e-4,
         by_epoch=False)
])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=200)
