# ResNet-34 teacher for CIFAR-10 (data/cifar10): mmpretrain's recipe
# (resnet34_8xb16_cifar10.py: ResNet-34 with a CIFAR stem, SGD 0.1,
# steps at epochs 100 and 150 of 200, batch 16 per process on 8 GPUs; not
# tuned here), the teacher of configs/_base_/data_free/cifar10.py.
#   python tools/train.py configs/teachers/resnet34_cifar10.py
_base_ = ['mmpretrain::resnet/resnet34_8xb16_cifar10.py']
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
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
