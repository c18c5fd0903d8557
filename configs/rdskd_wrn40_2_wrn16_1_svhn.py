# RDSKD (ICASSP'21), WRN-40-2 → WRN-16-1 on SVHN with the published
# defaults: generator 20 epochs × 120 iterations, batch 512, Adam 1e-3,
# latent 1000; then the student, Adam 2e-3, KL at τ = 10, on the fixed
# generator (100 epochs × 120 iterations, cosine: our choice; the
# paper's student length is not given here). Train the teacher with
# configs/teachers/wrn40_2_svhn.py.
_base_ = ['./_base_/data_free/svhn.py', './_base_/data_free/rdskd.py']

model = _base_.rdskd_model
optim_wrapper = _base_.rdskd_optim_wrapper

gen_epochs = 20
epoch_iters = 120
gen_iters = gen_epochs * epoch_iters
student_iters = 100 * epoch_iters
max_iters = gen_iters + student_iters
custom_hooks = [
    dict(
        type='ScheduleSwitchHook',
        at=gen_iters,
        schedule=[('student', 1)],
        eval_modules=('synthesizer', )),
    dict(type='LossSnapshotHook', interval=epoch_iters),
] + _base_.rdskd_runtime_hooks
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
