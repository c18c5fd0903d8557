# DAFL (Chen et al., ICCV'19) on digits: the generator is trained against the
# teacher alone (one-hot + 0.1 activation + 5 information entropy); the
# student learns KL with temperature on the same kind of samples.
_base_ = ['./_base_/data_free/digits.py']

model = dict(
    type='DataFreeDistiller',
    teacher=_base_.teacher,
    student=_base_.student,
    teacher_ckpt=_base_.teacher_ckpt,
    synthesizer=dict(type='GeneratorSynthesizer', generator=_base_.generator),
    generator_losses=dict(
        onehot=dict(type='OneHotLoss', target='argmax'),
        activation=dict(type='ActivationLoss', layer='head:in',
                        loss_weight=0.1),
        balance=dict(type='ClassBalanceLoss', loss_weight=5.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=6.0)),
    schedule=[('generator', 1), ('student', 5)])

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
