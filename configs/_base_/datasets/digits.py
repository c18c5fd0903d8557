# scikit-learn's bundled handwritten digits (8x8 grey, 10 classes), split
# by ``mmdfkd.DigitsDataset`` into fixed train / val / test parts
# (1068 / 189 / 540 images). Images reach the pipeline as uint8 8x8x1
# arrays in 0..255; over the train split their pixel mean is 78.04 and
# their std 95.94, the values the digits model configs normalize with.
dataset_type = 'mmdfkd.DigitsDataset'

# A random shift of up to one pixel (pad with the black background, crop
# back to 8x8); nothing else makes sense for such tiny, unmirrorable
# glyphs.
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=8, padding=1, pad_val=0),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='mmpretrain.PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='val',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
