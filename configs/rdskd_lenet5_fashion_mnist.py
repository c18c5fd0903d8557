# RDSKD (ICASSP'21) on Fashion-MNIST, pair (a) (LeNet-5 → LeNet-5-half, no
# BatchNorm), with the paper's terms only (no BN-statistics term: the
# teacher has no BatchNorm): stage 1 trains the generator alone against the
# teacher (10 "epochs" of 60 iterations), stage 2 the student, Adam 2e-3,
# KL at τ = 10, on the fixed generator (1,200 iterations), one step per
# runner iteration.
# First version: the digits schedule with the MNIST config's terms, not
# tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_lenet5.py',
    './_base_/data_free/rdskd.py'
]

draws = 1
train_dataloader = dict(dataset=dict(draws=draws))
model = _base_.rdskd_model
optim_wrapper = _base_.rdskd_optim_wrapper

gen_epochs = 10
epoch_iters = 60
gen_iters = gen_epochs * epoch_iters
student_iters = 1200
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
train_cfg = dict(max_iters=max_iters, val_interval=200)
