# ImageNet-1k in mmpretrain's layout, read by mmpretrain.ImageNet:
#   data/imagenet/train/<wnid>/*.JPEG   data/imagenet/meta/train.txt
#   data/imagenet/val/*.JPEG            data/imagenet/meta/val.txt
# (meta/<split>.txt: one "<path under the split folder> <class index>" a
# line; without it the split folder is read as one sub-folder per class).
# Data-free methods read no training image: only the val split, through
# mmpretrain's test pipeline (short edge 256, centre crop 224).
# ImageNet's test labels are not public, so val is also the split the
# papers report: it validates here with no selection on it (no
# `save_best`; the final student is the one reported) and `tools/test.py`
# reads the same split.
dataset_type = 'mmpretrain.ImageNet'
data_root = 'data/imagenet'
val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=256, edge='short'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs'),
]
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=val_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
