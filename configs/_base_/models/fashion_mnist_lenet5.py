# LeNet-5 (teacher) and LeNet-5-half (student) for Fashion-MNIST resized to
# 32×32 (configs/_base_/datasets/fashion_mnist_32.py), no BatchNorm: the
# convolutions pad nothing (32 → 28 → 14 → 10 → 5 → 1, DAFL's and DFAD's
# geometry), then the fully connected layers as a StackedLinearClsHead.
# LeNet-5: widths 6, 16, 120 and 120 → 84 → 10, 61,706 parameters.
# LeNet-5-half is Zero-Shot KD's (ICML'19), the variant of the only
# published Fashion-MNIST figures: the first two convolutions halved (3,
# 8), the 120-channel convolution and the 84-unit layer kept, 35,820
# parameters. (DAFL's half, everything halved, has 15,738; it is
# `lenet5_half` in lenet5_mnist.py.) Only the ``lenet5`` / ``lenet5_half``
# variables are defined (no ``model``).
fashion_mnist_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    # pixel mean / std of the Fashion-MNIST train split, in 0..255
    mean=[72.89],
    std=[89.98],
    to_rgb=False)

lenet5 = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=fashion_mnist_preprocessor,
    backbone=dict(type='mmdfkd.LeNet5', widths=(6, 16, 120), padding=0),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='StackedLinearClsHead',
        num_classes=10,
        in_channels=120,
        mid_channels=[84],
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

lenet5_half = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=fashion_mnist_preprocessor,
    backbone=dict(type='mmdfkd.LeNet5', widths=(3, 8, 120), padding=0),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='StackedLinearClsHead',
        num_classes=10,
        in_channels=120,
        mid_channels=[84],
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
