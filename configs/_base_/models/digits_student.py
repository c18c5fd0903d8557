# Student for the 8x8 digits: the teacher's architecture at half the width
# (16, 32, 64 channels). Only the ``student`` variable is defined, so that
# this file can be a base together with ``digits_teacher.py`` without
# clashing keys.
student = dict(
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
        widths=(16, 32, 64),
        strides=(1, 2, 2),
        num_convs=1,
        norm_cfg=dict(type='BN'),
        out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
