# CMI (Fang et al., IJCAI'21), CIFAR-100 ResNet-34 → ResNet-18.
# Published: teacher 78.05 %, CMI student 77.04 % (ALGORITHMS.md).
# The recipe of cmi_resnet34_resnet18_cifar10.py on
# configs/_base_/data_free/cifar100.py (100 classes).
# Each round re-initialises the generator and trains it with fresh
# trainable latents (256-d) for 200 Adam steps (1e-3, β (0.5, 0.999)) on
# BN statistics + 0.5 one-hot + 0.5 masked adversarial KL (global views:
# random crop pad 4 + flip) + 0.8 contrastive (local views: random resized
# crop, scale 0.25–1, + flip, against the global views and 4,096 negatives
# from a 40,960-entry memory bank; τ_cr 0.1); the lowest-loss batch joins
# the pool. Then the student learns KL at τ = 20 on batches drawn from the
# whole pool with random crop + flip; SGD 0.1, cosine. 200 rounds of 256.
_base_ = ['./_base_/data_free/cifar100.py']

train_dataloader = dict(dataset=dict(draws=1))
model = dict(
    synthesizer=dict(
        _delete_=True,
        type='ContrastiveSynthesizer',
        generator=_base_.generator,
        global_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(32, 32), padding=4),
                dict(type='RandomHorizontalFlip'),
            ]),
        local_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomResizedCrop', size=(32, 32),
                     scale=(0.25, 1.0)),
                dict(type='RandomHorizontalFlip'),
            ]),
        iterations=200,
        lr=1e-3,
        betas=(0.5, 0.999),
        feature_dim=256,
        hidden_dim=256,
        tau=0.1,
        contrastive_weight=0.8),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss'),
        onehot=dict(type='OneHotLoss', target='argmax', loss_weight=0.5),
        adv=dict(type='MaskedAdversarialKLLoss', loss_weight=0.5)),
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
    dict(type='ContrastiveMemoryBankHook', size=40960, num_negatives=4096),
]
