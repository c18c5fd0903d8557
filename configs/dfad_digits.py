# DFAD (Fang et al. 2019) on digits: the generator maximises the L1
# discrepancy of student and teacher logits; the student minimises it on
# fresh samples. Rounds of 5 student steps then 1 generator step.
# The adversarial game makes the live student swing (validation 83-93 % in
# the second half of a run); the evaluated and exported student is an
# exponential moving average of it (92-95 %).
_base_ = ['./_base_/data_free/digits.py']

model = dict(
    generator_losses=dict(adv=dict(type='AdversarialL1Loss', form='neg')),
    student_losses=dict(kd=dict(type='L1LogitsLoss')),
    schedule=[('student', 5), ('generator', 1)],
    student_ema=dict(momentum=0.01))

max_iters = 2400
param_scheduler = dict(student=[
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=0.01,
        by_epoch=False)
])
train_cfg = dict(max_iters=max_iters)

# DFAD's generator is adversarial only: its batches gather where student and
# teacher disagree, a few classes at a time (a healthy digits run, 90 %:
# class balance 0.09-0.66 per 200-round window). Batch balance says nothing
# about failure here; the monitor keeps the diversity and not-learning
# criteria.
custom_hooks = [
    dict(h, min_class_balance=0.0) if h['type'] == 'CollapseMonitorHook' else h
    for h in _base_.custom_hooks
]
