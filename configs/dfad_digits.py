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
