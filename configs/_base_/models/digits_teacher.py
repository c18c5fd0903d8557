# Teacher for the 8x8 digits: a 3-stage ConvNet (32, 64, 128 channels,
# 8x8 -> 4x4 -> 2x2) with BatchNorm, global average pooling and a linear
# head. Only the ``teacher`` variable is defined, so that this file can be
# a base together with ``digits_student.py`` without clashing keys.
teacher = dict(
    type='ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=10,
        # pixel mean / std of the train split of mmdfkd.DigitsDataset
        mean=[78.04],
        std=[95.94],
        to_rgb=False),
    backbone=dict(
        type='mmdfkd.ConvNet',
        in_channels=1,
        widths=(32, 64, 128),
        strides=(1, 2, 2),
        num_convs=1,
        norm_cfg=dict(type='BN'),
        out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
