# Data-free distillation on Fashion-MNIST, pair (b): the BatchNorm ConvNet
# teacher (32, 64, 128) and its half-width student
# (configs/_base_/models/fashion_mnist_convnet.py), a generator of 28×28
# grey images, latent batches as the training "data"; the real val split
# (5,000 training images the student never sees) for validation and model
# selection, the official test split for testing only.
_base_ = [
    '../datasets/fashion_mnist.py',
    '../models/fashion_mnist_convnet.py',
    './runtime.py',
]
teacher = _base_.teacher
student = _base_.student

# The teacher's training config, and the weights `python tools/train.py
# <teacher_config>` writes (its TeacherExportHook).
teacher_config = 'configs/teachers/fashion_mnist_convnet.py'
teacher_ckpt = 'work_dirs/fashion_mnist_convnet/teacher.pth'

latent_dim = 128
# batch_size is the global batch, the one every loss sees: each of N
# processes draws 1/N of it (GlobalBatchSampler). An item of the latent
# source is a seed: the distiller draws from it what a round of its
# schedule takes.
train_dataloader = dict(
    _delete_=True,
    batch_size=256,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))

# 32 channels at 7×7 (16 before the output convolution): a round of DFAD
# (5 S + 1 G, batch 256) costs 0.86 CPU seconds, 1.73 with 64 channels,
# the generator then dominating.
generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=28,
    out_channels=1,
    base_channels=32)

# The method recipes (_base_/methods/) set the loss terms and the round
# schedule.
model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    student=student,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))

# ~9 minutes of one core for DFAD's rounds
max_iters = 600
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
# The student's learning rate is floored at 10 % (as on digits: annealed to
# zero, the adversarial game drifts). A config that changes `max_iters`
# redefines this too: base variables are resolved here.
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_iters,
            eta_min=0.01,
            by_epoch=False)
    ])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=50)
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=200),
    synthetic_grid=dict(interval=100))
