# DDAD on the synthetic street scenes (the segmentation demo, `make
# demo-seg`; _base_/methods/ddad.py): the generator's dual discriminator is
# the teacher through its BatchNorm statistics (alpha * L_BN) and the
# student through maximum discrepancy (-beta * log(1 + L1(S, T)) over every
# pixel's logits); the student minimises the per-pixel KL on fresh samples.
# Rounds of 5 student steps then 1 generator step. alpha = 0.1, beta = 1:
# with alpha = 1 the BN term (hundreds at the start) drowned the
# discrepancy and the student learned slower. Validation, testing and the
# export use an exponential moving average of the student (the adversarial
# game makes the live one swing).
_base_ = ['./_base_/data_free/street_scenes.py', './_base_/methods/ddad.py']

model = dict(
    _base_.ddad_model,
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', mode='l2', loss_weight=0.1),
        adv=dict(type='AdversarialL1Loss', form='neg_log1p',
                 loss_weight=1.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=1.0)),
    student_ema=dict(momentum=0.01))
