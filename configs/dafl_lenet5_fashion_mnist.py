# DAFL (Chen et al., ICCV'19) on Fashion-MNIST, pair (a) (LeNet-5 →
# LeNet-5-half, no BatchNorm): the generator is trained against the teacher
# alone (one-hot + 0.1 activation + 5 information entropy, DAFL's MNIST
# weights); the student learns KL (τ below) on fresh samples (and
# replayed ones, below); 1 G : 5 S. Published on MNIST: 98.20 % (teacher
# 98.91 %).
# The digits stabilisers (docs/dfad_dafl.md), ported:
# - every synthesized batch, in the generator and in the student step, is
#   randomly shifted by up to 2 pixels and flipped left-right
#   (RandomShift(max_shift=2, flip_prob=0.5), pair (b)'s teacher
#   augmentation; this teacher was trained with the flip alone, but
#   flip-only views (with a student EMA) reached 46.8 % validation
#   against 59–62 % with the shift, 150 CPU s screens);
# - the generator learns at Adam 0.1 (the DAFL authors' MNIST generator
#   learns at Adam 0.2), decayed as below.
# The student learns with Adam at 2e-3, the DAFL authors' LeNet-5 / MNIST
# setting: with the task base's SGD at 0.1 this student stayed at chance
# (10 % validation over 100 rounds, KL 3.8 → 3.1).
# The generator's output layer is the DAFL authors' (tanh, then BatchNorm
# without affine, fed to the teacher as a normalised image): against the
# tanh output mapped to pixels, at 300 CPU s, final val 47.7 % (46.6),
# final test 47.78 % (46.85), val-selected test 59.49 % (48.42); its
# validation peaks at 59.5 % after 68 CPU s and then declines.
# The generator's learning rate falls ×0.1 at 20 % and 40 % of the run
# (DFAD's decays, on the generator only): at a constant 0.1 the student's
# validation peaked at 59.5 % after 245 of 992 rounds, when the generator
# left the distribution it had found (teacher activation 0.06 → 0.20,
# one-hot CE 0.44 → 0.15, the student's KL 1.4 → 3.9 within 100 rounds),
# and fell to 47.7 %; with the decays the validation stays at 60–62 % to
# the end of a 150 CPU s screen; at 300 CPU s it peaks at 68.4 % (40 % of
# the run) and ends at 61.3 %: even at 1e-3 the generator keeps improving
# DAFL's losses while its images transfer worse (docs/fashion_mnist.md).
# The information entropy is Σ p̄ ln p̄ at weight 5; the DAFL authors' code
# takes log10 at weight 5 (2.17 on ln): at 2.17 the student reached 23.6 %
# validation (150 CPU s screen), so the weight stays 5.
# The student's KL is at τ = 1, the DAFL authors' code (the method base's
# and the digits configs' 6: final validation 61.6 % against 63.1 % at τ = 1,
# 150 CPU s screens). At 300 CPU s the seed decides more than τ: final
# test 70.73 / 49.10 / 35.40 % for seeds 0 / 1 / 2 at τ = 1, 60.10 /
# 58.34 / 31.93 % at τ = 6 (mean validation 51.4 against 50.9 %).
# A deviation from DAFL, whose student learns on fresh generator samples
# only: every student step also trains on 128 images replayed from the
# last 4,096 fresh ones (32 student batches, ~6 rounds; the synthesizer's
# `replay`; Binici et al., WACV'22, keep generated samples for the same
# reason): the student followed the generator's drift. Measured with the
# same generator stream and rounds as the runs above (DAFL's generator
# never sees the student): final validation 75.0 / 61.4 % for seeds 0 / 1
# against 69.9 / 49.0 % (test 74.79 / 61.05 % against 70.73 / 49.10 %),
# no decline; a round costs 1.5-1.65× the CPU. At 300 CPU s (fewer
# rounds): test 71.61 / 59.05 / 39.61 % for seeds 0 / 1 / 2 against
# 70.73 / 49.10 / 35.40 % (docs/fashion_mnist.md); seeds 3 / 4: 49.23 /
# 44.61 % (five seeds: mean 52.82 %, 0.580 of the teacher).
# A generator of 16 base channels and batches of 128: the generator is
# most of a round's cost, and 300 CPU seconds gave 343 rounds at 32
# channels × 256 (validation 29 % after 135, rising slowly). At 1,200 CPU
# s, 32 channels (2,500 rounds, decays held at the 300-second rounds) ended
# at test 53.13 / 54.61 % for seeds 0 / 1, against 72.11 / 57.01 % for 16.
_base_ = [
    './_base_/data_free/fashion_mnist_lenet5.py',
    './_base_/methods/dafl.py'
]

model = dict(
    _base_.dafl_model,
    synthesizer=dict(
        generator=dict(base_channels=16, out_act='tanh_bn'),
        normalized_output=dict(mean=[72.89], std=[89.98]),
        views=dict(type='RandomShift', max_shift=2, flip_prob=0.5),
        replay=dict(max_size=4096, batch_size=128)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=1.0)),
    generator_losses=dict(
        _base_.dafl_model.generator_losses,
        activation=dict(
            type='ActivationLoss', layer='head:in', loss_weight=0.1)))
train_dataloader = dict(batch_size=128)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.1)),
    student=dict(optimizer=_base_.student_adam))
param_scheduler = dict(
    generator=[
        dict(
            type='MultiStepLR',
            milestones=[_base_.max_iters // 5, 2 * _base_.max_iters // 5],
            gamma=0.1,
            by_epoch=False)
    ],
    student=_base_.student_adam_cosine)
