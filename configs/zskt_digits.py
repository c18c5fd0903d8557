# ZSKT (Micaelli & Storkey, NeurIPS'19) on digits (_base_/methods/zskt.py):
# attention transfer on the three backbone stages, cosine schedules.
_base_ = ['./_base_/data_free/digits.py', './_base_/methods/zskt.py']

stages = ['backbone.stages.0', 'backbone.stages.1', 'backbone.stages.2']
model = dict(
    _base_.zskt_model,
    student_losses=dict(
        _base_.zskt_model.student_losses,
        attention=dict(
            type='AttentionTransferLoss',
            teacher_layers=stages,
            student_layers=stages,
            loss_weight=250.0)))

max_iters = 900
optim_wrapper = _base_.zskt_optim_wrapper
param_scheduler = dict(
    _delete_=True,
    generator=[
        dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False)
    ],
    student=[
        dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False)
    ])
train_cfg = dict(max_iters=max_iters)
