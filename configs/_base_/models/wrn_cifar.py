# Wide ResNets for 32×32 CIFAR images (Zagoruyko & Komodakis, BMVC'16):
# WRN-40-2 (2.24 M parameters with a 10-class head, the usual teacher) and
# WRN-16-1 (0.175 M, the usual student), as mmpretrain ImageClassifiers with
# mmdfkd's WideResNet backbone, global average pooling and a linear head.
# Only the ``wrn40_2`` / ``wrn16_1`` variables are defined (no ``model``),
# so this file can be a base of teacher and distillation configs alike.
# Defaults: CIFAR-10 (10 classes, its normalisation as in mmpretrain's
# cifar10_bs16.py); CIFAR-100 configs override the class count and the
# normalisation.
wrn_cifar10_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)

wrn40_2 = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=wrn_cifar10_preprocessor,
    backbone=dict(
        type='mmdfkd.WideResNet', depth=40, widen_factor=2, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

wrn16_1 = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=wrn_cifar10_preprocessor,
    backbone=dict(
        type='mmdfkd.WideResNet', depth=16, widen_factor=1, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
