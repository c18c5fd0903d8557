# NYUv2, 13 classes (mmdfkd.NYUv2Dataset): 480x640 frames; 0 = void -> 255,
# 1..13 -> 0..12. Splits: train 715 / val 80 (carved deterministically out
# of the official 795 training images, see mmdfkd/datasets/nyuv2.py) /
# test 654 (official). data/nyuv2 holds 480_640/IMAGE/ and nyuv2-meta-data/
# (splits.mat, {train,test}_labels_13/); docs/segmentation_datasets.md.
# Scoped types resolve under default_scope 'mmdfkd' and 'mmseg' alike (the
# bare class names too, once mmdfkd is imported, e.g. by custom_imports).
dataset_type = 'mmdfkd.NYUv2Dataset'
data_root = 'data/nyuv2'
crop_size = (480, 640)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(640, 480),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    # never a last batch of one image (DeepLabV3's image-pool BN)
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))

val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
