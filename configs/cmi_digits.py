# CMI (Fang et al., IJCAI'21) on digits: each round re-initialises a
# generator and trains it with its latents on BN statistics + 0.5 one-hot +
# 0.5 masked adversarial KL (on global views) + 0.8 contrastive (local views
# against global views and 1,024 negatives from a memory bank of past
# batches), keeps the lowest-loss batch in the pool; the student learns KL
# at τ = 20 from batches drawn from the pool.
_base_ = ['./_base_/data_free/digits_pool.py']

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
        adv=dict(type='MaskedAdversarialKLLoss', loss_weight=0.5)))
custom_hooks = [
    *_base_.custom_hooks,
    dict(type='ContrastiveMemoryBankHook', size=4096, num_negatives=1024),
]
