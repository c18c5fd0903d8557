# RDSKD (ICASSP'21) on Fashion-MNIST, pair (b): stage 1 trains the
# generator alone against the teacher (10 "epochs" of 60 iterations), stage
# 2 the student on the fixed generator (1,200 iterations), one step per
# runner iteration. As on digits (docs/rdskd.md), the generator loss adds
# the BN-statistics term (weight 1) to the paper's three terms: this
# teacher has BatchNorm. configs/rdskd_lenet5_fashion_mnist.py runs the
# paper's terms alone on the LeNet-5 pair.
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/data_free/rdskd.py'
]

draws = 1
train_dataloader = dict(dataset=dict(draws=draws))
model = dict(
    generator_losses=dict(
        _base_.rdskd_model.generator_losses,
        bn=dict(type='BNStatisticsLoss')),
    student_losses=_base_.rdskd_model.student_losses,
    schedule=_base_.rdskd_model.schedule)
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
