# Fast DFKD (Fang et al., AAAI'22) on digits, with the authors' Fast-10
# recipe (_base_/methods/fast.py); each round after the 20 warm-up rounds
# adds a batch and trains the student on batches drawn from the pool.
_base_ = ['./_base_/data_free/digits_pool.py', './_base_/methods/fast.py']

model = dict(
    _base_.fast_model,
    synthesizer=dict(_base_.fast_model.synthesizer,
                     generator=_base_.generator))

max_iters = 300
param_scheduler = dict(student=[
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.005,
         by_epoch=False)
])
train_cfg = dict(max_iters=max_iters, val_interval=20)
default_hooks = dict(
    checkpoint=dict(interval=100), synthetic_grid=dict(interval=20))
