# CMI (Fang et al., IJCAI'21): each round re-initialises a generator and
# trains it with its latents on BN statistics + 0.5 one-hot (the labels
# drawn with the latents) + 0.5 masked adversarial KL (on global views) +
# 0.8 contrastive (local views against the global views of the batch and of
# entries drawn from a memory bank of past batches' raw features; τ 0.1),
# keeps the lowest-loss batch in the pool and its features in the bank.
# The task config sets the generator, views, steps, head and bank sizes.
cmi_model = dict(
    synthesizer=dict(
        type='ContrastiveSynthesizer',
        lr=1e-3,
        tau=0.1,
        contrastive_weight=0.8),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss'),
        onehot=dict(type='OneHotLoss', target='sampled', loss_weight=0.5),
        adv=dict(type='MaskedAdversarialKLLoss', loss_weight=0.5)))
