# Supervised training of the Fashion-MNIST LeNet-5 teacher (no BatchNorm;
# configs/_base_/models/fashion_mnist_lenet5.py) on the train split resized
# to 32×32, validated on the val split every epoch: SGD 0.05 momentum 0.9
# wd 5e-4, cosine over 20 epochs of batch 128, horizontal flips.
# Zero-Shot KD reports a 90.84 % LeNet-5 on Fashion-MNIST. The
# distillation configs read the final weights alone, exactly what this
# writes (its TeacherExportHook):
#   python tools/train.py configs/teachers/fashion_mnist_lenet5.py
#   → work_dirs/fashion_mnist_lenet5/teacher.pth
_base_ = [
    '../_base_/datasets/fashion_mnist_32.py',
    '../_base_/models/fashion_mnist_lenet5.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# <work_dir>/teacher.pth: what the distillation configs' teacher_ckpt reads
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

model = _base_.lenet5

max_epochs = 20
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='CosineAnnealingLR',
    T_max=max_epochs,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# the final weights (and the latest epoch's, to resume)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1, save_last=True))
randomness = dict(seed=0)
