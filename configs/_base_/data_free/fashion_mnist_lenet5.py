# Data-free distillation on Fashion-MNIST, pair (a): LeNet-5 → Zero-Shot
# KD's LeNet-5-half, no BatchNorm (configs/_base_/models/
# fashion_mnist_lenet5.py), a generator of 32×32 grey images (the images
# the networks take: Fashion-MNIST resized to 32×32 as DAFL and DFAD do
# for MNIST), latent batches as the training "data"; the real val split
# for validation and model selection, the official test split for testing
# only. Methods that need no BatchNorm statistics run on it (DAFL, DFAD,
# ZSKT, RDSKD with its paper terms).
_base_ = [
    '../datasets/fashion_mnist_32.py',
    '../models/fashion_mnist_lenet5.py',
    './runtime.py',
]

# The teacher's training config, and the weights `python tools/train.py
# <teacher_config>` writes (its TeacherExportHook).
teacher_config = 'configs/teachers/fashion_mnist_lenet5.py'
teacher_ckpt = 'work_dirs/fashion_mnist_lenet5/teacher.pth'

latent_dim = 100
# batch_size is the global batch (GlobalBatchSampler: each of N processes
# draws 1/N of it); an item of the latent source is a seed.
train_dataloader = dict(
    _delete_=True,
    batch_size=256,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))

# Narrower than DAFL's (128 channels): on a 2-core CPU the generator would
# cost ~250× the LeNets' forward passes.
generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=32,
    out_channels=1,
    base_channels=32)

# The method files set the loss terms and the round schedule.
model = dict(
    type='DataFreeDistiller',
    teacher=_base_.lenet5,
    student=_base_.lenet5_half,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))

max_iters = 1200
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
# The student's learning rate is floored at 10 % (annealed to zero, the
# adversarial game drifts). A config that changes `max_iters` redefines
# this too: base variables are resolved here.
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_iters,
            eta_min=0.01,
            by_epoch=False)
    ])
# The DAFL authors' LeNet-5 student optimizer (Adam 2e-3), for the method
# configs that train this student by Adam (DAFL, DFAD): with the SGD above
# it stayed at chance. Its cosine floors at 2e-4 (Adam's 10 %). Use as
# `optim_wrapper = dict(student=dict(optimizer=_base_.student_adam))`,
# `param_scheduler = dict(student=_base_.student_adam_cosine)`.
student_adam = dict(_delete_=True, type='Adam', lr=2e-3)
student_adam_cosine = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=2e-4,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=500),
    synthetic_grid=dict(interval=200))
