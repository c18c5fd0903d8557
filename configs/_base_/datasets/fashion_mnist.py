# Fashion-MNIST (mmdfkd.FashionMNISTDataset) from the official IDX files in
# data/fashion_mnist (`make data-fashion-mnist`): training on the `train`
# split (55,000 images), model selection on `val` (a fixed stratified
# 5,000 of the official training images), testing on the official 10,000
# `test` images, which never select anything. Images reach the pipeline as
# uint8 28×28×1 arrays in 0..255; over the train split their pixel mean is
# 72.89 and their std 89.98, the values the model configs normalize with.
dataset_type = 'mmdfkd.FashionMNISTDataset'
data_root = 'data/fashion_mnist'

# A shift of up to 2 pixels (padded with the black background) and a
# horizontal flip: clothes are left-right symmetric, text is not on them.
train_pipeline = [
    dict(type='mmpretrain.RandomCrop', crop_size=28, padding=2, pad_val=0),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = dict(
    batch_size=500,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
