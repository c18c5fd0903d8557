# Data-free segmentation on CamVid (SegNet layout, 11 classes;
# configs/_base_/datasets/camvid.py)
# with DFAD's published setting (teacher 0.594 mIoU, DFAD student 0.535): the
# DeepLabV3-R50-D8 teacher of configs/teachers/deeplabv3_r50-d8_camvid.py, a
# randomly initialised DeepLabV3-MobileNetV2 student, a DCGAN generator of
# 128x128 images from nz = 256, batch 64, rounds of 5 student steps and 1
# generator step, an "epoch" of 50 rounds, 300 epochs, learning rates x0.1
# every 100 epochs; the real val split for validation, test for testing.
# The method files set the loss terms.
_base_ = [
    '../datasets/camvid.py',
    '../models/deeplabv3_mobilenetv2.py',
    './runtime.py',
]
teacher_config = 'configs/teachers/deeplabv3_r50-d8_camvid.py'
teacher = '{{ fileDirname }}/../../teachers/deeplabv3_r50-d8_camvid.py'
# what `python tools/train.py <teacher_config>` writes at its last iteration
teacher_ckpt = 'work_dirs/deeplabv3_r50-d8_camvid/iter_20000.pth'
num_classes = 11

latent_dim = 256
draws = 6  # latent draws per round: one per step of a 5 S + 1 G round
# The batch every loss sees; each of N processes draws 1/N of it.
global_batch_size = 64
train_dataloader = dict(
    _delete_=True,
    batch_size=global_batch_size,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='LatentDataset',
        latent_dim=latent_dim,
        draws=draws,
        num_classes=num_classes))

generator = dict(
    type='DCGANGenerator',
    latent_dim=latent_dim,
    img_size=128,
    base_channels=512,
    num_upsamples=4)
student = dict(
    _base_.student,
    decode_head=dict(_base_.student.decode_head, num_classes=num_classes))
model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    student=student,
    teacher_ckpt=teacher_ckpt,
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
    checkpoint=dict(interval=10 * rounds_per_epoch))
custom_hooks = [
    dict(type='SyntheticImageGridHook', interval=10 * rounds_per_epoch),
    dict(type='SegPredictionGridHook', interval=10 * rounds_per_epoch),
    dict(type='StudentExportHook'),
    dict(type='RNGStateHook'),
]
