# Pool-based data-free distillation on ImageNet-1k (DeepInversion, Fast
# DFKD): mmpretrain's ResNet-50 teacher (resnet50_8xb32_in1k.py), latent
# batches for training, real images only for evaluation: ImageNet's val
# split in mmpretrain's layout (../datasets/imagenet.py; the reported split
# too, so nothing is selected on it: the final student is reported).
# Each round synthesizes one batch that joins the pool, then the student
# learns KL at τ = 5 on batches drawn from the whole pool through
# ImageNet's train augmentation (random-resized crop to 224 + flip), SGD
# 0.1 m 0.9 wd 1e-4, cosine over the rounds: Fast-Datafree's ImageNet
# student recipe (datafree_kd_imagenet.py and its logs), used for both
# methods so that they compare. The method × task configs set the
# synthesizer, the batch, the schedule and the number of rounds.
_base_ = ['../datasets/imagenet.py', './runtime.py']

teacher = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'
# The teacher's training config (mmpretrain's recipe), the file
# `python tools/train.py <teacher_config>` writes, and where mmpretrain's
# released weights of that recipe (76.55 % top-1) are: nothing is
# downloaded here; a missing checkpoint's message names that address.
teacher_config = 'configs/teachers/resnet50_imagenet.py'
teacher_ckpt = 'work_dirs/resnet50_imagenet/teacher.pth'
teacher_weights_url = (
    'https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet50_8xb32_in1k_20210831-ea4938fc.pth')

# The pool, the one place its storage is set: the disk-backed uint8 shard
# pool (docs/pool_format.md). Kept in RAM as float32, 224 × 224 × 3 × 4 B =
# 0.60 MB an image would be 84 GB for DeepInversion's 140,028 images and
# 241 GB for Fast-50's 400,000, and every checkpoint would pack them; as
# shards an image is 150 KB on disk, memory holds at most `cache_images`
# decoded images, and a checkpoint lists the shards (name, size, sha256).
# tools/train.py puts the shards in <work_dir>/pool (`root`); under N
# processes each rank writes rank_<r>/ and every rank samples the union.
pool = dict(type='DiskPool', device='cpu')

# batch_size is the global batch (GlobalBatchSampler): each of N processes
# draws 1/N of it; an item of the latent source is a seed.
train_dataloader = dict(
    batch_size=100,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))

model = dict(
    type='DataFreeDistiller',
    teacher=teacher,
    teacher_ckpt=teacher_ckpt,
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=5.0)),
    synthesizer=dict(
        pool=pool,
        student_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomResizedCrop', size=(224, 224)),
                dict(type='RandomHorizontalFlip'),
            ])))

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=500),
    synthetic_grid=dict(interval=100))
