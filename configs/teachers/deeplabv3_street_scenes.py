# A small DeepLabV3 teacher for the synthetic street scenes (64x64, 11 CamVid
# classes): ResNetV1c-18 with 16 base channels (16/32/64/128), dilated to
# output stride 8 (8x8 features), an ASPP head with rates scaled to that
# map. Plain mmseg training on the train split, validation on val;
# ``tools/test.py`` evaluates the held-out test split.
#   python tools/dataset_converters/street_scenes.py data/street_scenes
#   python tools/train.py configs/teachers/deeplabv3_street_scenes.py
_base_ = [
    'mmseg::_base_/default_runtime.py',
    '../_base_/datasets/street_scenes.py',
]
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

# BN, not SyncBN: SyncBN needs GPUs; a multi-GPU run may switch with
# --cfg-options norm_cfg.type=SyncBN (it is also a SyncBN-free CPU demo).
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        # RGB pixel mean / std of the default train split
        mean=[124.81, 124.12, 123.17],
        std=[43.40, 42.50, 53.28],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size_divisor=8),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='ASPPHead',
        in_channels=128,
        in_index=3,
        channels=64,
        # rates for an 8x8 map: 12/24/36 would only see padding
        dilations=(1, 2, 4, 6),
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# schedule
max_iters = 1500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, by_epoch=False, begin=50,
         end=max_iters),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep only the final weights
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
