# CMI (Fang et al., IJCAI'21) on Fashion-MNIST, pair (b): each round
# re-initialises a generator and trains it with its latents on BN
# statistics + 0.5 one-hot (the labels drawn with the latents) + 0.5
# masked adversarial KL (on global views: 2-pixel shifts and flips) + 0.8
# contrastive (local views, random resized crops of 25–100 %, against the
# global views of the batch and of 4,096 entries drawn from a 16,384-entry
# memory bank of past batches' raw features; the projection head's hidden
# width is the feature width, as the authors'); the lowest-loss batch joins
# the pool; the student learns KL at τ = 20 from batches drawn from the
# pool.
# First version: the digits recipe ported (100 generator steps per round,
# not the paper's 200), not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet_pool.py',
    './_base_/methods/cmi.py'
]

model = dict(
    _base_.cmi_model,
    synthesizer=dict(
        _base_.cmi_model.synthesizer,
        generator=_base_.generator,
        global_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(28, 28), padding=2),
                dict(type='RandomHorizontalFlip'),
            ]),
        local_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomResizedCrop', size=(28, 28),
                     scale=(0.25, 1.0)),
                dict(type='RandomHorizontalFlip'),
            ]),
        iterations=100,
        feature_dim=128,
        bank_size=16384,
        num_negatives=4096))
max_iters = 16
param_scheduler = dict(student=[
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
         by_epoch=False)
])
train_cfg = dict(max_iters=max_iters, val_interval=2)
