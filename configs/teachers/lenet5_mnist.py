# Supervised training of the LeNet-5 teacher on MNIST (data/mnist, see
# configs/_base_/datasets/mnist.py): SGD 0.05 momentum 0.9 wd 5e-4,
# cosine over 20 epochs, batch 256. DFAD reports a 98.9 % teacher.
#   python tools/train.py configs/teachers/lenet5_mnist.py
_base_ = [
    '../_base_/datasets/mnist.py',
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/models/lenet5_mnist.py',
]

default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

model = _base_.lenet5

max_epochs = 20
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=5, max_keep_ckpts=1, save_last=True))
randomness = dict(seed=0)
