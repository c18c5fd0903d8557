# RDSKD (ICASSP'21), WRN-40-2 → WRN-16-1 on SVHN (_base_/methods/rdskd.py)
# with the published defaults: generator 20 epochs × 120 iterations, batch
# 512, Adam 1e-3, latent 1000; then the student, Adam 2e-3, KL at τ = 10,
# on the fixed generator (100 epochs × 120 iterations, cosine: our choice;
# the paper's student length is not given here). Train the teacher with
# configs/teachers/wrn40_2_svhn.py.
_base_ = ['./_base_/data_free/svhn.py', './_base_/methods/rdskd.py']

gen_epochs = 20
epoch_iters = 120
gen_iters = gen_epochs * epoch_iters
student_iters = 100 * epoch_iters
max_iters = gen_iters + student_iters
model = dict(
    generator_losses=dict(
        onehot=dict(_base_.rdskd_model.generator_losses.onehot,
                    interval=epoch_iters),
        balance=dict(_base_.rdskd_model.generator_losses.balance,
                     interval=epoch_iters),
        diversity=_base_.rdskd_model.generator_losses.diversity),
    student_losses=_base_.rdskd_model.student_losses,
    schedule=[
        dict(rounds=gen_iters, phases=[('generator', 1)]),
        _base_.rdskd_stage2
    ])
optim_wrapper = _base_.rdskd_optim_wrapper
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
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1200)
