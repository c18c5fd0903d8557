# Supervised training of the digits teacher (configs/_base_/models/
# digits_teacher.py) on the train split of mmdfkd.DigitsDataset, validated
# on the val split; ``runner.test()`` evaluates on the held-out test split.
_base_ = [
    '../_base_/datasets/digits.py',
    '../_base_/models/digits_teacher.py',
]

default_scope = 'mmdfkd'
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)
# The final weights alone, as <work_dir>/teacher.pth: what the data-free
# configs' `teacher_ckpt` reads (work_dirs/<this config's name>/teacher.pth
# with tools/train.py's default work dir).
custom_hooks = [dict(type='mmdfkd.TeacherExportHook')]

model = _base_.teacher

# schedule
max_epochs = 30
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
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

# runtime
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep only the final weights
    checkpoint=dict(
        type='CheckpointHook', interval=-1, save_last=True, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
log_processor = dict(by_epoch=True, window_size=10)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
