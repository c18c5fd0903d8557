# DFAD's published segmentation setting, shared by the CamVid and NYUv2
# task bases: a randomly initialised DeepLabV3-MobileNetV2 student, a DCGAN
# generator of 128x128 images from nz = 256, batch 64, rounds of 5 student
# steps and 1 generator step, an "epoch" of 50 rounds, 300 epochs, learning
# rates x0.1 every 100 epochs.
# What depends on the task (the latent train_dataloader of batch 64, the
# student's num_classes, the teacher) is set by camvid.py / nyuv2.py: mmengine
# evaluates this file before the child overrides num_classes, so nothing
# here may be derived from it, and the latent train_dataloader must replace
# the dataset base's in a file that inherits both (two bases of one file
# may not define the same key).
_base_ = [
    '../models/deeplabv3_mobilenetv2.py',
    './runtime.py',
]

latent_dim = 256

generator = dict(
    type='DCGANGenerator',
    latent_dim=latent_dim,
    img_size=128,
    base_channels=512,
    num_upsamples=4)
model = dict(
    type='DataFreeDistiller',
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))

rounds_per_epoch = 50
max_iters = 300 * rounds_per_epoch
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(
    generator=[
        dict(type='StepLR', step_size=100 * rounds_per_epoch, gamma=0.1,
             by_epoch=False)
    ],
    student=[
        dict(type='StepLR', step_size=100 * rounds_per_epoch, gamma=0.1,
             by_epoch=False)
    ])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=10 * rounds_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=10 * rounds_per_epoch),
    synthetic_grid=dict(interval=10 * rounds_per_epoch),
    seg_grid=dict(
        type='SegPredictionGridHook', interval=10 * rounds_per_epoch),
    # Per-pixel classes are unbalanced in real scenes: the pixels of 60
    # street-scene train images have a class balance of 0.79 (one image:
    # 0.73 on average, 0.64 the lowest). 0.4 (about 2.6 equally used
    # classes of 11) flags a generator that paints one or two classes
    # (ln 2 / ln 11 = 0.29).
    collapse_monitor=dict(min_class_balance=0.4))
