# DeepInversion (Yin et al., CVPR'20), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/deepinv.py). Published: teacher 95.70 %, DeepInversion
# student 93.26 % (the CMI paper's baseline table; the best data-free figure
# is CMI's 94.84 %).
# Each round optimises the pixels of one batch of 256 for 2,000 Adam steps
# (lr 0.1, β (0.5, 0.99)) on 10 × BN statistics + one-hot(sampled labels)
# + the Adaptive-DeepInversion competition (1 − JS(S, T) at τ = 3) + 1e-3 ×
# TV (a mean over pixels, thousands of times weaker than the reference's
# sum of norms: see TotalVariationLoss), each step through a random jitter
# (≤ 1/8 of H, W) and a flip; the lowest-loss iterate joins the pool. Then
# the student learns KL at τ = 20 on batches drawn from the whole pool with
# the usual train augmentation (random crop pad 4 + flip); SGD 0.1, cosine.
# 200 rounds: a pool of 51,200 images.
_base_ = [
    './_base_/data_free/cifar10_pool.py', './_base_/methods/deepinv.py'
]

model = dict(
    _base_.deepinv_model,
    synthesizer=dict(
        _base_.deepinv_model.synthesizer,
        image_shape=(3, 32, 32),
        iterations=2000,
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomAffine', degrees=0, translate=(0.125, 0.125),
                     padding_mode='reflection'),
                dict(type='RandomHorizontalFlip'),
            ])),
    schedule=[('synthesis', 1), ('student', 400)])
