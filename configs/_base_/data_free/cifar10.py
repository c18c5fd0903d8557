# Data-free distillation on CIFAR-10: mmpretrain's ResNet-34 teacher and
# ResNet-18 student (CIFAR stems), latent batches for training, real images
# only for evaluation: the first 5,000 training images as the validation set
# (model selection never touches the test split), the test split for tests.
_base_ = [
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    './runtime.py',
]

teacher = 'mmpretrain::resnet/resnet34_8xb16_cifar10.py'
student = 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'
# The teacher's training config (mmpretrain's recipe, CIFAR-10 under
# data/cifar10), and the weights `python tools/train.py <teacher_config>`
# writes (its TeacherExportHook).
teacher_config = 'configs/teachers/resnet34_cifar10.py'
teacher_ckpt = 'work_dirs/resnet34_cifar10/teacher.pth'

# The dataset base defines a typeless top-level `data_preprocessor` for
# mmpretrain's classifier; MMEngine's Runner would pass it into the
# distiller, whose teacher and student normalise with their own.
data_preprocessor = None

latent_dim = 256
# batch_size is the global batch, the one every loss sees: each of N
# processes draws 1/N of it (GlobalBatchSampler). An item of the latent
# source is a seed: the distiller draws from it what a round of its
# schedule takes.
train_dataloader = dict(
    _delete_=True,
    batch_size=256,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))
val_dataloader = dict(
    batch_size=256,
    dataset=dict(
        type='mmpretrain.CIFAR10',
        split='train',
        indices=5000,
        test_mode=True,
        pipeline=[dict(type='mmpretrain.PackInputs')]))
test_dataloader = dict(
    batch_size=256,
    dataset=dict(
        type='mmpretrain.CIFAR10',
        split='test',
        pipeline=[dict(type='mmpretrain.PackInputs')]))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator

generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=32,
    out_channels=3,
    base_channels=128)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=5000),
    synthetic_grid=dict(interval=2000))

# The method recipes (_base_/methods/) set the loss terms and the round
# schedule; the method × task configs the learning rate schedule.
model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    student=student,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
