# DeepLabV3 ResNet-50-D8 teacher for NYUv2 (13 classes): mmseg's recipe
# (ImageNet-pretrained ResNetV1c-50, ASPP + auxiliary FCN head, SGD with
# poly decay over 40k iterations; not tuned here) trained with
# tools/train.py on the train split, validated on val; tools/test.py
# evaluates the test split. Batch 4 per process (mmseg's recipes run
# 4 GPUs x 2-4 images).
_base_ = [
    'mmseg::_base_/models/deeplabv3_r50-d8.py',
    '../_base_/datasets/nyuv2.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py',
]
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

crop_size = (480, 640)
# BN, not mmseg's SyncBN: SyncBN only runs on GPUs in a distributed job.
# A multi-GPU run may switch with
#   --cfg-options model.backbone.norm_cfg.type=SyncBN \
#     model.decode_head.norm_cfg.type=SyncBN \
#     model.auxiliary_head.norm_cfg.type=SyncBN
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(num_classes=13, norm_cfg=norm_cfg),
    auxiliary_head=dict(num_classes=13, norm_cfg=norm_cfg))
