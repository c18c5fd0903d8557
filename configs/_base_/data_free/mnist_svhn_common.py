# What the MNIST and SVHN task bases (mnist.py, svhn.py) share: the
# defaults of the online-generator methods (the method configs override
# them). The latent train_dataloader (batch 512),
# the generator and the model stay in the task bases: they depend on the
# task's latent size, image shape and networks, and the loader has to
# replace the dataset base's in a file that inherits both.
_base_ = ['./runtime.py']

default_hooks = dict(
    logger=dict(interval=100), checkpoint=dict(interval=2000))

max_iters = 12000
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_iters,
            eta_min=1e-3,
            by_epoch=False)
    ])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
