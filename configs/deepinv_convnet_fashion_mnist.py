# DeepInversion (Yin et al., CVPR'20) / the BN-statistics synthesis of "The
# Knowledge Within" on Fashion-MNIST, pair (b): optimise the pixels of a
# batch to match the teacher's BatchNorm statistics (×10), be classified as
# drawn labels, make the student disagree with the teacher (Adaptive
# DeepInversion's 1 − JS) and stay smooth (TV ×1e-3), with random jitter
# (≤ 1/8 of the side) and flips at each step; keep the lowest-loss iterate
# in the pool. Each round: one synthesized batch, then 100 student steps on
# batches drawn from the whole pool (with the teacher's own augmentation,
# the pool config's student views).
# Deviations, measured on the validation split (docs/fashion_mnist.md):
# - 100 pixel steps per batch, not the paper's 1,000–2,000: a step costs
#   ~0.17 CPU s (teacher and student forward and backward on 256 images),
#   so 2,000 steps would be one batch in the 600-CPU-second budget. Fewer
#   steps do not pay: at 25 steps the images stay striped noise (BN loss
#   47 against 13 at 100 steps) and the student peaked at 58.7 % val.
# - 100 student steps per round (pool reuse), not the pool default's 20:
#   with 20, the 16 rounds of the budget gave the student 320 steps and it
#   was still rising (63 % val); Fast's and CMI's reference code also
#   trains the student hundreds of steps per synthesized batch.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet_pool.py',
    './_base_/methods/deepinv.py'
]

model = dict(
    _base_.deepinv_model,
    synthesizer=dict(
        _base_.deepinv_model.synthesizer,
        image_shape=(1, 28, 28),
        iterations=100,
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomAffine', degrees=0, translate=(0.125, 0.125),
                     padding_mode='reflection'),
                dict(type='RandomHorizontalFlip'),
            ])),
    schedule=[('synthesis', 1), ('student', 100)])

# a round (100 synthesis steps, 100 student steps) costs ~20 CPU seconds:
# ~10 minutes of one core. Measured at 600 CPU s (30 rounds): 84.90 % test
# (final student), 0.920 of the teacher; 0.667 with 20 student steps.
max_iters = 30
param_scheduler = dict(student=[
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
         by_epoch=False)
])
train_cfg = dict(max_iters=max_iters, val_interval=5)
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=10),
    synthetic_grid=dict(interval=5))
