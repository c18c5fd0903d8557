# Data-free segmentation on the synthetic street scenes (64x64, CamVid's 11
# classes; configs/_base_/datasets/street_scenes.py): the small DeepLabV3
# teacher of configs/teachers/deeplabv3_street_scenes.py (ResNetV1c-18 at
# 16 base channels, 1.13 M parameters), a DeepLabV3 student on the same
# backbone at a quarter of the width (8 base channels, 0.28 M parameters),
# 64x64 synthesized images, latent batches as the training "data", the real
# val split for validation and the real test split for testing. The method
# files set the losses and the schedule.
_base_ = [
    '../datasets/street_scenes.py',
    '../models/deeplabv3_mobilenetv2.py',
    './runtime.py',
]
teacher_config = 'configs/teachers/deeplabv3_street_scenes.py'
teacher = '{{ fileDirname }}/../../teachers/deeplabv3_street_scenes.py'
# what `python tools/train.py <teacher_config>` writes (its
# TeacherExportHook)
teacher_ckpt = 'work_dirs/deeplabv3_street_scenes/teacher.pth'
num_classes = 11

latent_dim = 64
# batch_size is the global batch, the one every loss sees: each of N
# processes draws 1/N of it (GlobalBatchSampler). An item of the latent
# source is a seed: the distiller draws from it what a round of its
# schedule takes.
train_dataloader = dict(
    _delete_=True,
    batch_size=16,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))

# Nearest-neighbour upsampling and convolutions: transposed convolutions
# (DCGANGenerator) left checkerboard patterns the student learned slower on.
generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=64,
    base_channels=64)
# The student: DeepLabV3 with the teacher's normalisation (RGB statistics of
# the train split) and head layout (ASPP rates for an 8x8 map) on a
# ResNetV1c-18 of 8 base channels. (mmseg's MobileNetV2 at a quarter width,
# the published student family, has as many parameters but its depthwise
# convolutions made a round twice as slow on CPUs.)
student = dict(
    _base_.student,
    data_preprocessor=dict(
        _base_.student.data_preprocessor,
        mean=[124.81, 124.12, 123.17],
        std=[43.40, 42.50, 53.28]),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=8,
        base_channels=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=_base_.student_norm_cfg,
        contract_dilation=True),
    decode_head=dict(
        _base_.student.decode_head,
        in_channels=64,
        channels=32,
        dilations=(1, 2, 4, 6),
        num_classes=num_classes))
model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    student=student,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))

max_iters = 900
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_iters,
            eta_min=0.01,
            by_epoch=False)
    ])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    synthetic_grid=dict(interval=100),
    seg_grid=dict(type='SegPredictionGridHook', interval=100),
    # Per-pixel classes are unbalanced in real scenes: the pixels of 60
    # street-scene train images have a class balance of 0.79 (one image:
    # 0.73 on average, 0.64 the lowest). 0.4 (about 2.6 equally used
    # classes of 11) flags a generator that paints one or two classes
    # (ln 2 / ln 11 = 0.29).
    collapse_monitor=dict(min_class_balance=0.4))
