# RDSKD (ICASSP'21) on Fashion-MNIST, pair (a) (LeNet-5 → LeNet-5-half,
# no BatchNorm): the paper's three generator terms only (exponentially
# penalised one-hot and class-balance increments, inter-sample diversity;
# no BN-statistics term, the teacher has no BatchNorm). Stage 1 trains the
# generator alone (10 "epochs" of 60 iterations), stage 2 the student by KL
# (τ = 10) on the fixed generator (1,200 iterations). A first port, not
# tuned: 0.383 of the teacher at 300 CPU s (docs/fashion_mnist.md).
_base_ = [
    './_base_/data_free/fashion_mnist_lenet5.py',
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
train_cfg = dict(max_iters=max_iters, val_interval=200)
