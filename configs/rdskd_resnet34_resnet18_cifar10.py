# RDSKD (ICASSP'21), ResNet-34 → ResNet-18 on CIFAR-10
# (_base_/methods/rdskd.py) with the published defaults: generator 20
# epochs × 120 iterations, batch 512, Adam 1e-3, latent 1000; then the
# student, Adam 2e-3, KL at τ = 10, on the fixed generator (200 epochs ×
# 120 iterations, cosine: our choice; the paper's student length is not
# given here). Teacher: see configs/_base_/data_free/cifar10.py.
_base_ = ['./_base_/data_free/cifar10.py', './_base_/methods/rdskd.py']

latent_dim = 1000
train_dataloader = dict(batch_size=512)

gen_epochs = 20
epoch_iters = 120
gen_iters = gen_epochs * epoch_iters
student_iters = 200 * epoch_iters
max_iters = gen_iters + student_iters
model = dict(
    synthesizer=dict(generator=dict(latent_dim=latent_dim)),
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
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2400)
