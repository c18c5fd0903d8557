# Synthetic street scenes (mmdfkd.datasets.street_scenes) in CamVid's SegNet
# layout: 11 CamVid classes, void -> 255, 64x64 by default. Write them with
#   python tools/dataset_converters/street_scenes.py data/street_scenes
# (400 / 80 / 80 train / val / test images). Over the default train split
# the RGB pixel mean is (124.81, 124.12, 123.17) and the std
# (43.40, 42.50, 53.28), the values the street-scenes model configs use.
# Scoped types resolve under default_scope 'mmdfkd' and 'mmseg' alike (the
# bare class names too, once mmdfkd is imported, e.g. by custom_imports).
dataset_type = 'mmdfkd.CamVidDataset'
data_root = 'data/street_scenes'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    # streets are left/right symmetric; nothing else is needed at this size
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    # an infinite sampler never yields a last batch of one image, which
    # DeepLabV3's image-pool BatchNorm cannot train on
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))

val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
