# Data-free distillation on SVHN: WRN-40-2 teacher → WRN-16-1 student
# (configs/_base_/models/wrn_svhn.py), a generator of 32×32 RGB images,
# latent batches as the training "data"; the first 5,000 training images
# as the validation set (never trained on; model selection never touches
# the test split), the test split for tests.
_base_ = [
    '../datasets/svhn.py',
    '../models/wrn_svhn.py',
    './mnist_svhn_common.py',
]

# The teacher's training config, and the weights `python tools/train.py
# <teacher_config>` writes (its TeacherExportHook).
teacher_config = 'configs/teachers/wrn40_2_svhn.py'
teacher_ckpt = 'work_dirs/wrn40_2_svhn/teacher.pth'

latent_dim = 1000
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
    batch_size=256,
    num_workers=4,
    dataset=dict(
        type=_base_.dataset_type,
        data_root=_base_.data_root,
        split='train',
        indices=5000,
        pipeline=_base_.test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))

generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=32,
    out_channels=3,
    base_channels=128)
model = dict(
    type='DataFreeDistiller',
    teacher=_base_.wrn40_2_svhn,
    student=_base_.wrn16_1_svhn,
    teacher_ckpt=teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=generator))
