# Supervised training of the Fashion-MNIST BatchNorm teacher (ConvNet 32,
# 64, 128, two convolutions a stage; configs/_base_/models/
# fashion_mnist_convnet.py) on the train split, validated on the val split
# every epoch; SGD 0.05 Nesterov, one warm-up epoch then cosine, 15 epochs
# of batch 128, random 2-pixel shifts and horizontal flips. The
# distillation configs read the final weights alone, exactly what this
# writes (its TeacherExportHook):
#   python tools/train.py configs/teachers/fashion_mnist_convnet.py
#   → work_dirs/fashion_mnist_convnet/teacher.pth
# Its test accuracy (the official test split, never used for selection):
#   python tools/test.py configs/teachers/fashion_mnist_convnet.py \
#       work_dirs/fashion_mnist_convnet/teacher.pth
_base_ = [
    '../_base_/datasets/fashion_mnist.py',
    '../_base_/models/fashion_mnist_convnet.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# <work_dir>/teacher.pth: what the distillation configs' teacher_ckpt reads
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

model = _base_.teacher

max_epochs = 15
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 1,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# the final weights (and the latest epoch's, to resume)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1, save_last=True))
randomness = dict(seed=0)
