# DeepInversion (Yin et al., CVPR'20) / the BN-statistics synthesis of "The
# Knowledge Within" on digits: optimise the pixels of a batch to match the
# teacher's BatchNorm statistics (×10), be classified as drawn labels, make
# the student disagree with the teacher (Adaptive DeepInversion's 1 − JS of
# the softmaxes at τ = 3) and stay smooth (TV ×1e-3), with random jitter and
# flips at each step; keep the lowest-loss iterate in the pool. Each round:
# one synthesized batch, then student steps on batches drawn from the whole
# pool.
_base_ = ['./_base_/data_free/digits_pool.py']

model = dict(
    synthesizer=dict(
        _delete_=True,
        type='PixelSynthesizer',
        image_shape=(1, 8, 8),
        iterations=100,
        lr=0.1,
        betas=(0.5, 0.99),
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomAffine', degrees=0, translate=(0.125, 0.125),
                     padding_mode='reflection'),
            ])),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', loss_weight=10.0),
        onehot=dict(type='OneHotLoss', target='sampled'),
        competition=dict(type='AdversarialJSLoss'),
        tv=dict(type='TotalVariationLoss', loss_weight=1e-3)))
