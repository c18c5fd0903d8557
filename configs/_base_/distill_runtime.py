# Runtime of every distillation config (data-free and real-data): one runner
# iteration is one round of the distiller; logging, checkpoints and the
# student export. Every hook is a keyed entry of `default_hooks` (MMEngine
# merges that dict key by key and registers each entry), so a config adds
# or tunes a hook by its key without re-listing the others, e.g.
#     default_hooks = dict(collapse_monitor=dict(min_class_balance=0.0))
# `progress` (ProgressHook): the first rounds are logged as they end, with
# the time per round and the ETA, and a warning when the run is sized for a
# GPU but runs on a CPU. `rng_state` (RNGStateHook): the RNG states of every
# rank go into each checkpoint and come back on --resume (a resumed run
# repeats an uninterrupted one). `collapse_monitor` (CollapseMonitorHook):
# warns when the synthesized batches collapse or the student does not
# learn, and writes the verdict (training_health.json).
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
    student_export=dict(type='StudentExportHook'),
    rng_state=dict(type='RNGStateHook'),
    collapse_monitor=dict(type='CollapseMonitorHook'),
)
# Teacher and student are wrapped in DDP separately (multi-process runs),
# and a data-free generator too.
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
