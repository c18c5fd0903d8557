# Data-free distillation on CIFAR-100: ResNet-34 teacher and ResNet-18
# student (mmpretrain's CIFAR stems, 100-class heads), latent batches for
# training, real images only for evaluation: the first 5,000 training images
# as the validation set (model selection never touches the test split), the
# test split for tests. It mirrors ./cifar10.py (generator, hooks,
# optimisers); the method files set the loss terms and schedules.
#
# mmpretrain ships no ResNet-34/18 CIFAR-100 config, so the networks are its
# CIFAR-10 ones (_base_/models/resnet34_cifar.py, resnet18_cifar.py) written
# inline with 100 classes and the normalisation of cifar100_bs16.py. Train
# the teacher with mmpretrain's CIFAR-100 recipe at depth 34, then point
# `teacher_ckpt` at the weights:
#   python tools/train.py mmpretrain::resnet/resnet50_8xb16_cifar100.py \
#       --cfg-options model.backbone.depth=34 model.head.in_channels=512 \
#       --work-dir work_dirs/teachers/resnet34_cifar100
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    './runtime.py',
]

num_classes = 100
cifar100_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=num_classes,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
    to_rgb=False)
teacher = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=cifar100_preprocessor,
    backbone=dict(
        type='ResNet_CIFAR',
        depth=34,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
student = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=cifar100_preprocessor,
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
teacher_ckpt = 'work_dirs/teachers/resnet34_cifar100.pth'

latent_dim = 256
draws = 6
# The batch every loss sees; each of N processes draws 1/N of it.
global_batch_size = 256
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
val_dataloader = dict(
    batch_size=256,
    dataset=dict(
        type='mmpretrain.CIFAR100',
        data_root='data/cifar100',
        split='train',
        indices=5000,
        test_mode=True,
        pipeline=[dict(type='mmpretrain.PackInputs')]))
test_dataloader = dict(
    batch_size=256,
    dataset=dict(
        type='mmpretrain.CIFAR100',
        data_root='data/cifar100',
        split='test',
        pipeline=[dict(type='mmpretrain.PackInputs')]))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator

generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=32,
    out_channels=3,
    base_channels=128)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=5000))
custom_hooks = [
    dict(type='SyntheticImageGridHook', interval=2000),
    dict(type='StudentExportHook'),
    dict(type='RNGStateHook'),
]

model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    student=student,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
