# DeepInversion (Yin et al., CVPR'20) on digits (_base_/methods/deepinv.py):
# 100 steps per batch of 8×8 grey images, jitter of up to one pixel (no
# flips: digits are not mirror-symmetric). Each round: one synthesized
# batch, then student steps on batches drawn from the whole pool.
_base_ = ['./_base_/data_free/digits_pool.py', './_base_/methods/deepinv.py']

model = dict(
    _base_.deepinv_model,
    synthesizer=dict(
        _base_.deepinv_model.synthesizer,
        image_shape=(1, 8, 8),
        iterations=100,
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomAffine', degrees=0, translate=(0.125, 0.125),
                     padding_mode='reflection'),
            ])))
