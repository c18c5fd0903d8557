# DeepInversion (Yin et al., CVPR'20) / the BN-statistics synthesis of "The
# Knowledge Within" on Fashion-MNIST, pair (b): optimise the pixels of a
# batch to match the teacher's BatchNorm statistics (×10), be classified as
# drawn labels, make the student disagree with the teacher (Adaptive
# DeepInversion's 1 − JS) and stay smooth (TV ×1e-3), with random jitter
# (≤ 1/8 of the side) and flips at each step; keep the lowest-loss iterate
# in the pool. Each round: one synthesized batch, then student steps on
# batches drawn from the whole pool.
# First version: the digits recipe ported (100 steps per batch, not the
# paper's 1000–2000), not tuned for this dataset.
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
            ])))
