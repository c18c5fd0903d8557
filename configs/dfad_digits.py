# DFAD (Fang et al. 2019) on digits (_base_/methods/dfad.py).
# The adversarial game makes the live student swing (validation 83-93 % in
# the second half of a run); the evaluated and exported student is an
# exponential moving average of it (92-95 %).
_base_ = ['./_base_/data_free/digits.py', './_base_/methods/dfad.py']

model = dict(_base_.dfad_model, student_ema=dict(momentum=0.01))
default_hooks = _base_.dfad_hooks

max_iters = 2400
param_scheduler = dict(student=[
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=0.01,
        by_epoch=False)
])
train_cfg = dict(max_iters=max_iters)
