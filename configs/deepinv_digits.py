# DeepInversion (Yin et al., CVPR'20) / the BN-statistics synthesis of "The
# Knowledge Within" on digits: optimise the pixels of a batch to match the
# teacher's BatchNorm statistics (×10), be classified as drawn labels, make
# the student disagree with the teacher (Adaptive DeepInversion's 1 − JS)
# and stay smooth (TV ×1e-3), with random jitter and flips at each step;
# keep the lowest-loss iterate in the pool. Each round: one synthesized
# batch, then student steps on batches drawn from the whole pool.
_base_ = ['./_base_/data_free/digits.py']

train_dataloader = dict(dataset=dict(draws=1))
model = dict(
    synthesizer=dict(
        _delete_=True,
        type='PixelSynthesizer',
        image_shape=(1, 8, 8),
        iterations=100,
        lr=0.1,
        betas=(0.5, 0.99),
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomAffine', degrees=0, translate=(0.125, 0.125),
                     padding_mode='reflection'),
            ])),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', loss_weight=10.0),
        onehot=dict(type='OneHotLoss', target='sampled'),
        competition=dict(type='AdversarialJSLoss'),
        tv=dict(type='TotalVariationLoss', loss_weight=1e-3)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=20.0)),
    pool=dict(max_size=None),
    schedule=[('synthesis', 1), ('student', 20)])

max_iters = 30
optim_wrapper = dict(_delete_=True,
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(
    _delete_=True,
    student=[
        dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
             by_epoch=False)
    ])
train_cfg = dict(max_iters=max_iters, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=20))
custom_hooks = [
    dict(type='SyntheticImageGridHook', interval=10),
    dict(type='StudentExportHook'),
    dict(type='RNGStateHook'),
]
