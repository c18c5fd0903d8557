# RDSKD (ICASSP'21) pieces shared by the rdskd_* configs, as variables
# (they sit beside a data_free/<task>.py base, which owns `model`,
# `optim_wrapper`, ...). Stage 1 trains the generator alone against the
# teacher: exponentially penalised increments of the one-hot and
# class-balance terms plus the inter-sample diversity term. Stage 2
# trains the student by KL_τ (τ = 10) on the fixed generator. A method
# config sets the stage lengths and builds `custom_hooks`,
# `param_scheduler` and `train_cfg` from them with `rdskd_hooks` below.
rdskd_model = dict(
    generator_losses=dict(
        onehot=dict(type='ExpIncrementPenalty', loss=dict(type='OneHotLoss')),
        balance=dict(
            type='ExpIncrementPenalty', loss=dict(type='ClassBalanceLoss')),
        diversity=dict(type='InterSampleDiversityLoss')),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=10.0)),
    # stage 1; ScheduleSwitchHook switches to stage 2
    schedule=[('generator', 1)])

# Published: generator Adam 1e-3, student Adam 2e-3.
rdskd_optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    # (_delete_: drop the SGD arguments of the task base)
    student=dict(optimizer=dict(_delete_=True, type='Adam', lr=2e-3)))

# The runtime hooks every data-free config keeps (runtime.py).
rdskd_runtime_hooks = [
    dict(type='SyntheticImageGridHook', interval=500),
    dict(type='StudentExportHook'),
    dict(type='RNGStateHook'),
    dict(type='CollapseMonitorHook'),
]
