# Runtime of every data-free distillation config: one runner iteration is
# one round of the distiller's schedule; logging, checkpoints, pictures and
# the student export.
# `progress` (ProgressHook): the first rounds are logged as they end, with
# the time per round and the ETA (LoggerHook's first line comes after
# `interval` rounds, hours for a GPU-sized config on a CPU), and a warning
# when the run is sized for a GPU but runs on a CPU. In `default_hooks`, a
# dict merged by key, so that configs redefining `custom_hooks` keep it.
default_scope = 'mmdfkd'
custom_imports = dict(imports=['mmdfkd'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    progress=dict(type='ProgressHook'),
)
# RNGStateHook: the RNG states of every rank go into each checkpoint and
# come back on --resume (a resumed run repeats an uninterrupted one).
# CollapseMonitorHook: warns when the synthesized batches collapse or the
# student does not learn, and writes the verdict (training_health.json).
# A config that redefines `custom_hooks` should keep both.
custom_hooks = [
    dict(type='SyntheticImageGridHook', interval=500),
    dict(type='StudentExportHook'),
    dict(type='RNGStateHook'),
    dict(type='CollapseMonitorHook'),
]
# Generator and student are wrapped in DDP separately (multi-process runs).
model_wrapper_cfg = dict(type='mmdfkd.DataFreeDistributedDataParallel')
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False, window_size=50)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
val_cfg = dict()
test_cfg = dict()
