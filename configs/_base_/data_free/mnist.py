# Data-free distillation on MNIST: LeNet-5 teacher → LeNet-5-half student
# (configs/_base_/models/lenet5_mnist.py), a generator of 28×28 grey
# images, latent batches as the training "data"; the first 5,000 training
# images as the validation set (the student never trains on them; model
# selection never touches the test split), the test split for tests.
_base_ = [
    '../datasets/mnist.py',
    '../models/lenet5_mnist.py',
    './mnist_svhn_common.py',
]

# The teacher's training config, and the weights `python tools/train.py
# <teacher_config>` writes (its TeacherExportHook).
teacher_config = 'configs/teachers/lenet5_mnist.py'
teacher_ckpt = 'work_dirs/lenet5_mnist/teacher.pth'

latent_dim = 100
# batch_size is the global batch, the one every loss sees: each of N
# processes draws 1/N of it (GlobalBatchSampler). An item of the latent
# source is a seed: the distiller draws from it what a round of its
# schedule takes.
train_dataloader = dict(
    _delete_=True,
    batch_size=512,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))
val_dataloader = dict(
    _delete_=True,
    batch_size=512,
    num_workers=2,
    dataset=dict(
        type='mmpretrain.MNIST',
        data_root=_base_.data_root,
        split='train',
        indices=5000,
        download=False,
        pipeline=_base_.pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))

generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=28,
    out_channels=1,
    base_channels=128)
model = dict(
    type='DataFreeDistiller',
    teacher=_base_.lenet5,
    student=_base_.lenet5_half,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))
