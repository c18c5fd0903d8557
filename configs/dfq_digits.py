# DFQ (Choi et al., CVPRW'20) on digits: the generator matches the teacher's
# BatchNorm statistics, is classified confidently (one-hot), spreads over
# the classes (information entropy ×20) and maximises the student-teacher
# KL; the student minimises the KL. 1 generator step : 10 student steps in
# the paper; here rounds of 5 : 1 with fresh latents for every step.
_base_ = ['./_base_/data_free/digits.py']

model = dict(
    type='DataFreeDistiller',
    teacher=_base_.teacher,
    student=_base_.student,
    teacher_ckpt=_base_.teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=_base_.generator),
    generator_losses=dict(
        adv=dict(type='AdversarialKLLoss', tau=1.0),
        bn=dict(type='BNStatisticsLoss', mode='l2'),
        onehot=dict(type='OneHotLoss', target='argmax'),
        balance=dict(type='ClassBalanceLoss', loss_weight=20.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=1.0)),
    schedule=[('student', 5), ('generator', 1)])

max_iters = 400
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    student=dict(
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
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
