# Data-free segmentation on CamVid (SegNet layout, 11 classes;
# configs/_base_/datasets/camvid.py)
# with DFAD's published setting (teacher 0.594 mIoU, DFAD student 0.535): the
# DeepLabV3-R50-D8 teacher of configs/teachers/deeplabv3_r50-d8_camvid.py, a
# randomly initialised DeepLabV3-MobileNetV2 student, a DCGAN generator of
# 128x128 images from nz = 256, batch 64, rounds of 5 student steps and 1
# generator step, an "epoch" of 50 rounds, 300 epochs, learning rates x0.1
# every 100 epochs; the real val split for validation, test for testing.
# The method files set the loss terms.
_base_ = [
    '../datasets/camvid.py',
    './segmentation.py',
]

teacher_config = 'configs/teachers/deeplabv3_r50-d8_camvid.py'
teacher = '{{ fileDirname }}/../../teachers/deeplabv3_r50-d8_camvid.py'
# what `python tools/train.py <teacher_config>` writes (its
# TeacherExportHook)
teacher_ckpt = 'work_dirs/deeplabv3_r50-d8_camvid/teacher.pth'
num_classes = 11

# Set here, not in segmentation.py: the student depends on num_classes, and
# the latent loader has to replace the train_dataloader of
# ../datasets/camvid.py.
# batch_size is the global batch, the one every loss sees: each of N
# processes draws 1/N of it (GlobalBatchSampler). An item of the latent
# source is a seed: the distiller draws from it what a round of its
# schedule takes.
train_dataloader = dict(
    _delete_=True,
    batch_size=64,
    batch_sampler=dict(type='GlobalBatchSampler'),
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LatentDataset'))
student = dict(
    _base_.student,
    decode_head=dict(_base_.student.decode_head, num_classes=num_classes))
model = dict(teacher=teacher, student=student, teacher_ckpt=teacher_ckpt)
