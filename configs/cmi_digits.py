# CMI (Fang et al., IJCAI'21) on digits: each round re-initialises a
# generator and trains it with its latents on BN statistics + 0.5 one-hot +
# 0.5 masked adversarial KL (on global views) + 0.8 contrastive (local views
# against global views and 1,024 negatives from a memory bank of past
# batches), keeps the lowest-loss batch in the pool; the student learns KL
# at τ = 20 from batches drawn from the pool.
_base_ = ['./_base_/data_free/digits.py']

train_dataloader = dict(dataset=dict(draws=1))
model = dict(
    synthesizer=dict(
        _delete_=True,
        type='ContrastiveSynthesizer',
        generator=_base_.generator,
        global_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(8, 8), padding=1),
            ]),
        local_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomResizedCrop', size=(8, 8),
                     scale=(0.25, 1.0)),
            ]),
        iterations=100,
        lr=1e-3,
        feature_dim=64,
        hidden_dim=128,
        tau=0.1,
        contrastive_weight=0.8),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss'),
        onehot=dict(type='OneHotLoss', target='argmax', loss_weight=0.5),
        adv=dict(type='MaskedAdversarialKLLoss', loss_weight=0.5)),
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
    dict(type='ContrastiveMemoryBankHook', size=4096, num_negatives=1024),
]
