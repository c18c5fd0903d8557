# Data-free distillation on the digits task: the ConvNet teacher and student,
# a generator of 8×8 grey images, latent batches as the training "data",
# the real val split for validation and the real test split for testing.
_base_ = [
    '../datasets/digits.py',
    '../models/digits_teacher.py',
    '../models/digits_student.py',
    './runtime.py',
]

latent_dim = 64
draws = 6  # latent draws per round: one per step of a 5 S + 1 G round
train_dataloader = dict(
    _delete_=True,
    batch_size=128,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='LatentDataset',
        latent_dim=latent_dim,
        draws=draws,
        num_classes=10))

generator = dict(
    type='ConvGenerator',
    latent_dim=latent_dim,
    img_size=8,
    out_channels=1,
    base_channels=64)
teacher_ckpt = 'work_dirs/digits_teacher/teacher.pth'
