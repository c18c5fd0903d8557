# Data-free distillation on the digits task: the ConvNet teacher and student,
# a generator of 8×8 grey images, latent batches as the training "data",
# the real val split for validation and the real test split for testing.
_base_ = [
    '../datasets/digits.py',
    '../models/digits_teacher.py',
    '../models/digits_student.py',
    './runtime.py',
]
teacher = _base_.teacher
student = _base_.student

latent_dim = 64
# batch_size is the global batch, the one every loss sees: each of N
# processes draws 1/N of it (GlobalBatchSampler). An item of the latent
# source is a seed: the distiller draws from it what a round of its
# schedule takes.
train_dataloader = dict(
    _delete_=True,
    batch_size=128,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))

generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=8,
    out_channels=1,
    base_channels=64)
# The teacher's training config, and the weights `python tools/train.py
# <teacher_config>` writes (its TeacherExportHook).
teacher_config = 'configs/teachers/digits_convnet.py'
teacher_ckpt = 'work_dirs/digits_convnet/teacher.pth'

# The method recipes (_base_/methods/) set the loss terms and the round
# schedule.
model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    student=student,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))

max_iters = 1200
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
# The student's learning rate is floored at 10 %: annealed to zero, the
# adversarial game drifts and the student collapses. (A config that changes
# `max_iters` redefines this too: base variables are resolved here.)
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
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=200)
