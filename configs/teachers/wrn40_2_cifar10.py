# Supervised training of a WRN-40-2 teacher on CIFAR-10 (data/cifar10):
# mmpretrain's CIFAR-10 data pipeline (random crop pad 4 + flip), SGD 0.1
# momentum 0.9 wd 5e-4 nesterov, cosine over 200 epochs, batch 128. The
# published teacher reaches 94.87 % top-1 (CMI / Fast DFKD papers).
#   python tools/train.py configs/teachers/wrn40_2_cifar10.py
_base_ = [
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/wrn_cifar.py',
]

default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

model = _base_.wrn40_2

batch_size = 128
train_dataloader = dict(batch_size=batch_size, num_workers=4)
# Validation reads the first 5,000 training images: a fit check on images
# the teacher trains on, never a selection (no checkpoint is chosen by it);
# mmpretrain's recipe validates on the test split, which is for
# tools/test.py only here.
val_dataloader = dict(
    batch_size=256, num_workers=4,
    dataset=dict(split='train', indices=5000))
test_dataloader = dict(batch_size=256, num_workers=4)

max_epochs = 200
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(
    type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=batch_size)
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=10, max_keep_ckpts=2, save_last=True))
randomness = dict(seed=0)
