# Pool-based data-free distillation on digits (DeepInversion, CMI, Fast):
# what the methods share. Each round synthesizes one batch that joins the
# pool, then 20 student steps learn KL at τ = 20 on batches drawn from the
# whole pool; SGD 0.05, cosine over the rounds. The method recipes set the
# synthesizer's type and settings and its loss terms; the pool's settings
# are here (the synthesizer's `pool`).
_base_ = ['./digits.py']

model = dict(
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=20.0)),
    synthesizer=dict(_delete_=True, pool=dict(max_size=None)),
    schedule=[('synthesis', 1), ('student', 20)])

max_iters = 30
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    student=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)))
# (a config that changes `max_iters` redefines this too)
param_scheduler = dict(
    _delete_=True,
    student=[
        dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
             by_epoch=False)
    ])
train_cfg = dict(max_iters=max_iters, val_interval=10)
default_hooks = dict(
    checkpoint=dict(interval=20), synthetic_grid=dict(interval=10))
