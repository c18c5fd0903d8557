# CMI (Fang et al., IJCAI'21) on digits: each round re-initialises a
# generator and trains it with its latents on BN statistics + 0.5 one-hot
# (the labels drawn with the latents) + 0.5 masked adversarial KL (on
# global views) + 0.8 contrastive (local views against the global views of
# the batch and of 1,024 entries drawn from a 4,096-entry memory bank of
# past batches' raw features), keeps the lowest-loss batch in the pool; the
# student learns KL at τ = 20 from batches drawn from the pool.
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
        tau=0.1,
        contrastive_weight=0.8,
        bank_size=4096,
        num_negatives=1024),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss'),
        onehot=dict(type='OneHotLoss', target='sampled', loss_weight=0.5),
        adv=dict(type='MaskedAdversarialKLLoss', loss_weight=0.5)))
