# Pool-based data-free distillation on CIFAR-10 (DeepInversion, CMI, Fast):
# what the methods share. Each round synthesizes one batch of 256 that joins
# the pool, then the student learns KL at τ = 20 on batches drawn from the
# whole pool with the usual train augmentation (random crop pad 4 + flip);
# SGD 0.1, cosine over the rounds. The method recipes set the synthesizer's
# type and settings and its loss terms; the pool's settings are here (the
# synthesizer's `pool` and `student_views`).
_base_ = ['./cifar10.py']

model = dict(
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=20.0)),
    synthesizer=dict(
        _delete_=True,
        student_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(32, 32), padding=4),
                dict(type='RandomHorizontalFlip'),
            ]),
        pool=dict(max_size=None)))

max_iters = 200
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(
    student=[dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False)])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=20),
    synthetic_grid=dict(interval=10))
