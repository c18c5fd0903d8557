# RDSKD (ICASSP'21). Stage 1 trains the generator alone against the
# teacher: exponentially penalised increments of the one-hot and
# class-balance terms (ExpIncrementPenalty, its snapshot refreshed every
# "epoch" of `interval` updates) plus the inter-sample diversity term.
# Stage 2 trains the student by KL_τ (τ = 10) on the fixed generator (in
# eval mode: its BatchNorm keeps stage 1's statistics). A task config sets
# the stage lengths: `schedule=[dict(rounds=<stage 1>, ...),
# _base_.rdskd_stage2]`, the penalties' interval and the learning-rate
# schedule.
rdskd_model = dict(
    generator_losses=dict(
        onehot=dict(type='ExpIncrementPenalty', loss=dict(type='OneHotLoss')),
        balance=dict(
            type='ExpIncrementPenalty', loss=dict(type='ClassBalanceLoss')),
        diversity=dict(type='InterSampleDiversityLoss')),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=10.0)))
rdskd_stage2 = dict(phases=[('student', 1)], eval_modules=['synthesizer'])

# Published: generator Adam 1e-3, student Adam 2e-3.
rdskd_optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    # (_delete_: drop the SGD arguments of the task base)
    student=dict(optimizer=dict(_delete_=True, type='Adam', lr=2e-3)))
