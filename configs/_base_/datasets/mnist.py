# MNIST through mmpretrain's MNIST dataset: `data_root` holds the four
# uncompressed IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte,
# t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (download=False: no
# network access is assumed; gunzip the official files there). Note that
# mmpretrain picks the files by `test_mode`, not by `split`: the test
# split needs test_mode=True. Images are 28×28 grey uint8.
dataset_type = 'mmpretrain.MNIST'
data_root = 'data/mnist'
pipeline = [dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
        pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
test_dataloader = dict(
    batch_size=512,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        download=False,
        pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_dataloader = test_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
