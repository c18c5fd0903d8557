# ResNet-34 teacher for CIFAR-100 (data/cifar100): mmpretrain's CIFAR-100
# recipe (resnet50_8xb16_cifar100.py: CIFAR stem, SGD 0.1, steps at epochs
# 60, 120 and 160 of 200, batch 16 per process on 8 GPUs; not tuned here)
# at depth 34, the teacher of configs/_base_/data_free/cifar100_parts.py.
# mmpretrain ships no ResNet-34 CIFAR-100 config.
#   python tools/train.py configs/teachers/resnet34_cifar100.py
_base_ = ['mmpretrain::resnet/resnet50_8xb16_cifar100.py']
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
model = dict(backbone=dict(depth=34), head=dict(in_channels=512))
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]
# Validation reads the first 5,000 training images: a fit check on images
# the teacher trains on, never a selection (no checkpoint is chosen by it);
# mmpretrain's recipe validates on the test split, which is for
# tools/test.py only here.
val_dataloader = dict(dataset=dict(split='train', indices=5000))
test_dataloader = dict(dataset=dict(split='test'))
