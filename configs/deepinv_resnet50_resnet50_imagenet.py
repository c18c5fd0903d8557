# DeepInversion (Yin et al., CVPR'20), ImageNet ResNet-50 → ResNet-50
# (_base_/methods/deepinv.py with the authors' ImageNet settings).
# Published: "DeepInv-2k", 140k images, 166 h of synthesis, student
# 68.00 % top-1 on ImageNet val (Fast-Datafree's README table); not
# measured here (no GPU, no ImageNet).
# Synthesis follows the authors' ImageNet code (NVlabs/DeepInversion,
# README command `imagenet_inversion.py --bs=84 --do_flip --r_feature=0.01
# --adi_scale=0.0 --setting_id=0 --lr 0.25` with deepinversion.py's
# setting 0): batches of 84 at 224×224, 3,000 Adam steps (lr 0.25, β (0.5,
# 0.9)), the first 2,000 on the 2×2-average-pooled batch (112×112) and
# 1,000 at 224, a fresh Adam per resolution with 100 warm-up steps then a
# cosine to 0; each step rolls the batch by up to 30 pixels (15 at 112)
# and flips it with probability 0.5; pixels clipped to the valid range;
# the lowest-loss iterate joins the pool. Loss: cross-entropy to random
# labels ×1 + 0.01 × BN statistics with the first BatchNorm ×10
# (first_bn_multiplier). 1,667 rounds: a pool of 140,028 images.
# Then the student steps of _base_/data_free/imagenet_pool.py (Fast-50's
# ImageNet student recipe: the DeepInversion code ships no KD schedule),
# 240 per round of batch 100: 400k student steps, as Fast-50's.
# Deviations (docs/imagenet.md): the reference's L2 total variation
# (1e-4, a sum of norms on normalised images) and image L2 prior (1e-5)
# are replaced by this repo's mean-absolute TV at 1e-3 (the recipe's);
# the roll offsets are drawn per image, not per batch; the initial pixels
# are N(0, 0.5²) of the [-1, 1] variable (the reference: N(0, 1) in
# normalised units); the pool lives in RAM (see the base) until the
# disk-backed pool.
_base_ = [
    './_base_/data_free/imagenet_pool.py', './_base_/methods/deepinv.py'
]

student = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'
rounds = 1667
model = dict(
    student=student,
    synthesizer=dict(
        _base_.deepinv_model.synthesizer,
        image_shape=(3, 224, 224),
        iterations=3000,
        low_res_iterations=2000,
        low_res_factor=2,
        lr=0.25,
        betas=(0.5, 0.9),
        cosine_lr=True,
        warmup_iters=100,
        views=dict(type='RandomShift', max_shift=30, wrap=True,
                   flip_prob=0.5),
        student_batch_size=100),
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', loss_weight=0.01,
                first_layer_weight=10.0),
        onehot=dict(type='OneHotLoss', target='sampled'),
        tv=_base_.deepinv_model.generator_losses.tv),
    schedule=[('synthesis', 1), ('student', 240)])

train_dataloader = dict(batch_size=84)
param_scheduler = dict(
    student=[dict(type='CosineAnnealingLR', T_max=rounds, by_epoch=False)])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=rounds,
                 val_interval=100)
