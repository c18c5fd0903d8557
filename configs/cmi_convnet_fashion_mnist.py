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
# Deviations (docs/fashion_mnist.md):
# - 20 generator steps per round at Adam lr 5e-3, not the paper's 200 at
#   1e-3: a step costs ~0.4 CPU s here (two teacher passes with gradients,
#   global and local views, on 256 images), so the first version's 100
#   steps made 41-CPU-second rounds, 5 batches in 205 CPU s (41.6 % val
#   when it was stopped); a higher lr so that a fresh generator still moves
#   in 20 steps.
# - 40 student steps per round (pool reuse), not the pool default's 20.
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
        iterations=20,
        lr=5e-3,
        feature_dim=128,
        bank_size=16384,
        num_negatives=4096),
    schedule=[('synthesis', 1), ('student', 40)])
# a round (20 synthesis steps, 40 student steps) costs ~11 CPU seconds at
# first and 16-19 once the memory bank holds the 4,096 negatives (its
# contrastive term, profiled): ~12 minutes of one core. Measured: 82.52 %
# test, 0.894 of the teacher, at 850 CPU s where the budget stopped 54 of
# 79 rounds; 82.95 %, 0.899, with 72 rounds run to the end in 1,136 CPU s;
# seeds 1 / 2: 80.84 % (0.8756) / 82.13 % (0.890, 66 rounds in 1,200 CPU
# s) (docs/fashion_mnist.md).
max_iters = 52
param_scheduler = dict(student=[
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
         by_epoch=False)
])
train_cfg = dict(max_iters=max_iters, val_interval=4)
