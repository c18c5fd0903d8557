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
# Validation reads the first 5,000 training images: a fit check on images
# the teacher trains on, never a selection (no checkpoint is chosen by it).
# The test split is for tools/test.py only. (The data-free bases override
# this with the same images, which the student never trains on.)
val_dataloader = dict(
    batch_size=512,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        indices=5000,
        download=False,
        pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
