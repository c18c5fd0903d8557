# ResNet-50 teacher for ImageNet-1k (data/imagenet, mmpretrain's layout):
# mmpretrain's recipe (resnet50_8xb32_in1k.py: 100 epochs, SGD 0.1, steps
# at 30/60/90, batch 32 per process on 8 GPUs; 76.55 % top-1 as released),
# the teacher of configs/_base_/data_free/imagenet_pool.py. Training it is
# days of 8 GPUs: the data-free configs are meant to start from
# mmpretrain's released weights of this recipe (their
# `teacher_weights_url`), passed as model.teacher_ckpt.
#   python tools/train.py configs/teachers/resnet50_imagenet.py
_base_ = ['mmpretrain::resnet/resnet50_8xb32_in1k.py']
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]
# mmpretrain's recipe validates on ImageNet val, the split every ImageNet
# figure reports (the test labels are not public); no checkpoint is
# selected on it (no save_best).
