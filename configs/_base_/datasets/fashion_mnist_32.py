# Fashion-MNIST resized to 32×32 (bilinear), as DAFL and DFAD feed MNIST
# to LeNet-5; otherwise fashion_mnist.py. No augmentation beyond the
# horizontal flip: the LeNet-5 pair is the small, plain setting of the
# papers.
_base_ = ['./fashion_mnist.py']

resize = dict(type='mmpretrain.Resize', scale=(32, 32))
train_pipeline = [
    resize,
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [resize, dict(type='mmpretrain.PackInputs')]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
