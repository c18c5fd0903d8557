# DFAD (Fang et al. 2019) on CamVid, DeepLabV3-R50-D8 -> DeepLabV3-MobileNetV2
# (teacher 0.594 mIoU, DFAD student 0.535; _base_/methods/dfad.py): the
# generator maximises log(1 + L1) of the per-pixel student and teacher
# logits, the student minimises the per-pixel L1 on fresh samples.
_base_ = ['./_base_/data_free/camvid.py', './_base_/methods/dfad.py']

model = dict(
    _base_.dfad_model,
    generator_losses=dict(
        adv=dict(type='AdversarialL1Loss', form='neg_log1p')))
default_hooks = _base_.dfad_hooks
