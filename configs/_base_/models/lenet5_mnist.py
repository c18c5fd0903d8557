# LeNet-5 (teacher) and LeNet-5-half (student) for 28×28 MNIST, as
# mmpretrain ImageClassifiers: mmdfkd's LeNet5 convolutions, global average
# pooling of the 1×1 map, and the fully connected layers 120 → 84 → 10
# (60 → 42 → 10 for the half) as a StackedLinearClsHead. Only the
# ``lenet5`` / ``lenet5_half`` variables are defined (no ``model``).
mnist_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    # the usual MNIST mean / std (0.1307, 0.3081) in 0..255
    mean=[33.32],
    std=[78.57],
    to_rgb=False)

lenet5 = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=mnist_preprocessor,
    backbone=dict(type='mmdfkd.LeNet5', widths=(6, 16, 120)),
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
    data_preprocessor=mnist_preprocessor,
    backbone=dict(type='mmdfkd.LeNet5', widths=(3, 8, 60)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='StackedLinearClsHead',
        num_classes=10,
        in_channels=60,
        mid_channels=[42],
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
