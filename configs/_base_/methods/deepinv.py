# DeepInversion (Yin et al., CVPR'20) / the BN-statistics synthesis of "The
# Knowledge Within": optimise the pixels of a batch to match the teacher's
# BatchNorm statistics (×10), be classified as drawn labels, make the
# student disagree with the teacher (Adaptive DeepInversion's 1 − JS of the
# softmaxes at τ = 3) and stay smooth (TV ×1e-3, a mean over pixels), with
# random jitter (and flips, where they make sense) at each step; keep the
# lowest-loss iterate in the pool. The task config sets the image shape,
# the steps and the views.
deepinv_model = dict(
    synthesizer=dict(type='PixelSynthesizer', lr=0.1, betas=(0.5, 0.99)),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', loss_weight=10.0),
        onehot=dict(type='OneHotLoss', target='sampled'),
        competition=dict(type='AdversarialJSLoss'),
        tv=dict(type='TotalVariationLoss', loss_weight=1e-3)))
