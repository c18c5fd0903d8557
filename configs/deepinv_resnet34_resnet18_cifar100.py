# DeepInversion (Yin et al., CVPR'20), CIFAR-100 ResNet-34 → ResNet-18.
# Published: teacher 78.05 %, DeepInversion student 61.32 % (the CMI paper's
# baseline table; the best data-free figure is CMI's 77.04 %).
# The recipe of deepinv_resnet34_resnet18_cifar10.py (the same losses,
# synthesis and student schedule) on configs/_base_/data_free/cifar100.py;
# the one-hot term draws its labels from the 100 classes.
_base_ = ['./_base_/data_free/cifar100.py']

train_dataloader = dict(dataset=dict(draws=1))
model = dict(
    synthesizer=dict(
        _delete_=True,
        type='PixelSynthesizer',
        image_shape=(3, 32, 32),
        iterations=2000,
        lr=0.1,
        betas=(0.5, 0.99),
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomAffine', degrees=0, translate=(0.125, 0.125),
                     padding_mode='reflection'),
                dict(type='RandomHorizontalFlip'),
            ])),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', loss_weight=10.0),
        onehot=dict(type='OneHotLoss', target='sampled'),
        competition=dict(type='AdversarialJSLoss'),
        tv=dict(type='TotalVariationLoss', loss_weight=1e-3)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=20.0)),
    student_views=dict(
        type='DifferentiableViews',
        transforms=[
            dict(type='RandomCrop', size=(32, 32), padding=4),
            dict(type='RandomHorizontalFlip'),
        ]),
    pool=dict(max_size=None),
    schedule=[('synthesis', 1), ('student', 400)])

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
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=20))
custom_hooks = [
    dict(type='SyntheticImageGridHook', interval=10),
    dict(type='StudentExportHook'),
    dict(type='RNGStateHook'),
]
