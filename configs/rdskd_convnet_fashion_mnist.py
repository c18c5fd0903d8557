# RDSKD (ICASSP'21) on Fashion-MNIST, pair (b): stage 1 trains the
# generator alone (exponentially penalised one-hot and class-balance
# increments, inter-sample diversity, plus the teacher's BN statistics on
# this BN pair); stage 2 trains the student by KL (τ = 10) on the fixed
# generator (its BatchNorm in eval mode).
# Every synthesized batch is augmented as the teacher was trained
# (RandomShift(max_shift=2, flip_prob=0.5)), in stage 2 too: only the
# generator is put in eval mode there, not the synthesizer that applies
# the views.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/rdskd.py'
]

gen_epochs = 10
epoch_iters = 60
gen_iters = gen_epochs * epoch_iters
student_iters = 1200
max_iters = gen_iters + student_iters
model = dict(
    generator_losses=dict(
        onehot=dict(_base_.rdskd_model.generator_losses.onehot,
                    interval=epoch_iters),
        balance=dict(_base_.rdskd_model.generator_losses.balance,
                     interval=epoch_iters),
        diversity=_base_.rdskd_model.generator_losses.diversity,
        bn=dict(type='BNStatisticsLoss')),
    student_losses=_base_.rdskd_model.student_losses,
    synthesizer=dict(
        views=dict(type='RandomShift', max_shift=2, flip_prob=0.5)),
    schedule=[
        dict(rounds=gen_iters, phases=[('generator', 1)]),
        dict(_base_.rdskd_stage2, eval_modules=['synthesizer.generator'])
    ])
optim_wrapper = _base_.rdskd_optim_wrapper
# The student's learning rate anneals over stage 2 only.
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(
            type='CosineAnnealingLR',
            begin=gen_iters,
            end=max_iters,
            T_max=student_iters,
            eta_min=2e-5,
            by_epoch=False)
    ])
train_cfg = dict(max_iters=max_iters, val_interval=200)
