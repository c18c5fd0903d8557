# DDAD (arXiv 2104.05382) on NYUv2, DeepLabV3-R50-D8 -> DeepLabV3-MobileNetV2
# (_base_/methods/ddad.py): DFAD's setting with a dual discriminator for the
# generator, the teacher through its BatchNorm statistics and the student
# through maximum discrepancy: alpha * L_BN - beta * log(1 + L1(S, T)) over
# every pixel's logits, alpha = beta = 1; the student minimises the
# per-pixel L1.
_base_ = ['./_base_/data_free/nyuv2.py', './_base_/methods/ddad.py']

model = dict(
    _base_.ddad_model,
    generator_losses=dict(
        _base_.ddad_model.generator_losses,
        adv=dict(type='AdversarialL1Loss', form='neg_log1p',
                 loss_weight=1.0)))
