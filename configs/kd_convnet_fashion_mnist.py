# Knowledge distillation with real data on Fashion-MNIST, pair (b): the
# ConvNet teacher (configs/teachers/fashion_mnist_convnet.py) teaches the
# half-width student on the real train split (shifts and flips), by KL at
# τ = 4 only (no ground-truth term): the ceiling of the data-free methods.
# As long as the student's scratch run: 15 passes over the 55,000 images
# (6,450 iterations of 128), SGD 0.05 cosine. Validation on val every
# pass, testing on the official test split only.
_base_ = [
    './_base_/datasets/fashion_mnist.py',
    './_base_/models/fashion_mnist_convnet.py',
    './_base_/distill_runtime.py',
    './_base_/methods/kd.py',
]

teacher_config = 'configs/teachers/fashion_mnist_convnet.py'
teacher_ckpt = 'work_dirs/fashion_mnist_convnet/teacher.pth'

train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
model = dict(
    _base_.kd_model,
    teacher=_base_.teacher,
    student=_base_.student,
    teacher_ckpt=teacher_ckpt)

epoch_iters = 430  # ⌈55,000 / 128⌉
max_iters = 15 * epoch_iters
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(student=[
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.0,
         by_epoch=False)
])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=epoch_iters)
default_hooks = dict(
    logger=dict(interval=100), checkpoint=dict(interval=epoch_iters))
