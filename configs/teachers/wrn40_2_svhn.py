# Supervised training of a WRN-40-2 teacher on SVHN (data/svhn, see
# configs/_base_/datasets/svhn.py; train split only, not `extra`): SGD 0.1
# momentum 0.9 wd 5e-4 nesterov, cosine over 40 epochs, batch 128.
#   python tools/train.py configs/teachers/wrn40_2_svhn.py
_base_ = [
    '../_base_/datasets/svhn.py',
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/wrn_svhn.py',
]

default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

model = _base_.wrn40_2_svhn

max_epochs = 40
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(
    type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=10, max_keep_ckpts=2, save_last=True))
randomness = dict(seed=0)
