# DFAD (Fang et al. 2019) on digits: the generator maximises the L1
# discrepancy of student and teacher logits; the student minimises it on
# fresh samples. Rounds of 5 student steps then 1 generator step.
_base_ = ['./_base_/data_free/digits.py']

model = dict(
    type='DataFreeDistiller',
    teacher=_base_.teacher,
    student=_base_.student,
    teacher_ckpt=_base_.teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=_base_.generator),
    generator_losses=dict(adv=dict(type='AdversarialL1Loss', form='neg')),
    student_losses=dict(kd=dict(type='L1LogitsLoss')),
    schedule=[('student', 5), ('generator', 1)])

max_iters = 600
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
# The student's learning rate is floored at 10 %: annealed to zero, the
# adversarial game drifts and the student collapses.
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(
            type='CosineAnnealingLR',
            T_max=max_iters,
            eta_min=0.01,
            by_epoch=False)
    ])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
