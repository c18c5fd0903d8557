# SVHN cropped digits through mmdfkd.SVHN: `data_root` holds the official
# train_32x32.mat and test_32x32.mat (http://ufldl.stanford.edu/
# housenumbers/). Train augmentation: random crop with 4 pixels of padding
# (no flips: digits are not mirror-symmetric).
dataset_type = 'mmdfkd.SVHN'
data_root = 'data/svhn'
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=32, padding=4),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
test_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Validation reads the first 5,000 training images: a fit check on images
# the teacher trains on, never a selection (no checkpoint is chosen by it).
# The test split is for tools/test.py only.
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        indices=5000,
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
