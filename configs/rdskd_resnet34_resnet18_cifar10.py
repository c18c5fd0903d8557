# RDSKD (ICASSP'21), ResNet-34 → ResNet-18 on CIFAR-10 with the published
# defaults: generator 20 epochs × 120 iterations, batch 512, Adam 1e-3,
# latent 1000; then the student, Adam 2e-3, KL at τ = 10, on the fixed
# generator (200 epochs × 120 iterations, cosine: our choice; the
# paper's student length is not given here). Teacher: see
# configs/_base_/data_free/cifar10.py.
_base_ = ['./_base_/data_free/cifar10.py', './_base_/data_free/rdskd.py']

latent_dim = 1000
global_batch_size = 512
train_dataloader = dict(
    batch_size=global_batch_size,
    dataset=dict(latent_dim=latent_dim, draws=1))
model = dict(
    synthesizer=dict(generator=dict(latent_dim=latent_dim)),
    **_base_.rdskd_model)
optim_wrapper = _base_.rdskd_optim_wrapper

gen_epochs = 20
epoch_iters = 120
gen_iters = gen_epochs * epoch_iters
student_iters = 200 * epoch_iters
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
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2400)
