# Fast DFKD (Fang et al., AAAI'22), the authors' Fast-10 recipe
# (Fast-Datafree, scripts/fast_cifar.sh, ResNet-34 pair): a meta-learned
# generator that 10 Adam steps (generator 2e-3, fresh trainable latents
# 0.01) adapt to each new batch, a first-order MAML meta-update after every
# round (the gradients of all inner steps summed; meta Adam at 2e-3 × 10),
# 10 × BN statistics against a momentum (0.9) blend of the batch and
# earlier batches, 0.5 one-hot (the labels drawn with the latents) and 1.33
# masked adversarial KL; the generator's first layer is re-initialised
# every 20 rounds (our choice). 20 warm-up rounds only synthesize, without
# the adversarial term. The task config sets the generator and the views.
fast_model = dict(
    synthesizer=dict(
        type='MetaSynthesizer',
        inner_steps=10,
        lr_g=2e-3,
        lr_z=0.01,
        meta='fomaml',
        reset_layers=['project'],
        reset_interval=20),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', momentum=0.9, loss_weight=10.0),
        onehot=dict(type='OneHotLoss', target='sampled', loss_weight=0.5),
        adv=dict(type='MaskedAdversarialKLLoss', loss_weight=1.33)),
    warmup_rounds=20)
