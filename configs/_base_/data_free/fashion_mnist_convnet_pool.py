# Pool-based data-free distillation on Fashion-MNIST, pair (b)
# (DeepInversion, CMI, Fast): what the methods share. Each round
# synthesizes one batch of 256 that joins the pool, then 20 student steps
# learn KL at τ = 20 on batches drawn from the whole pool, with the
# dataset's train augmentation on them (2-pixel shifts, horizontal flips);
# SGD 0.05, cosine over the rounds. The method recipes set the
# synthesizer's type and settings and its loss terms; the pool's settings
# and the student views are here (the synthesizer's).
# First version: the digits recipe ported (plus the augmentation of the
# CIFAR pool configs), not tuned for this dataset.
_base_ = ['./fashion_mnist_convnet.py']

model = dict(
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=20.0)),
    synthesizer=dict(
        _delete_=True,
        pool=dict(max_size=None),
        student_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(28, 28), padding=2),
                dict(type='RandomHorizontalFlip'),
            ])),
    schedule=[('synthesis', 1), ('student', 20)])

# DeepInversion's rounds (100 synthesis steps, 20 student steps) cost ~12
# CPU seconds: ~10 minutes of one core
max_iters = 50
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)))
# (a config that changes `max_iters` redefines this too)
param_scheduler = dict(
    _delete_=True,
    student=[
        dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
             by_epoch=False)
    ])
train_cfg = dict(max_iters=max_iters, val_interval=5)
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=20),
    synthetic_grid=dict(interval=10))
