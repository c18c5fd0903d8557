# The segmentation student of DFAD's experiments: DeepLabV3 (ASPP head) on
# mmseg's MobileNetV2, dilated to output stride 8 (mmseg's
# mobilenet-v2-d8_deeplabv3 layout), randomly initialised. No auxiliary
# head: distillation runs the network in mode='tensor', which never reaches
# one, and DDP rejects parameters that never get a gradient. BN, not SyncBN,
# so that it also trains on CPUs. `num_classes` and the normalisation are
# set by the data-free bases.
student_norm_cfg = dict(type='BN', requires_grad=True)
student = dict(
    _scope_='mmseg',
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        type='MobileNetV2',
        widen_factor=1.,
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=student_norm_cfg),
    decode_head=dict(
        type='ASPPHead',
        in_channels=320,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=student_norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
