# ZSKT (Micaelli & Storkey, NeurIPS'19) on Fashion-MNIST, pair (b): the
# generator maximises KL(T‖S); the student minimises KL plus 250 ×
# attention transfer on the three backbone stages, 10 student steps per
# generator step on the same z, Adam for both, cosine schedule, gradient
# clipping at 5.
# The generator's output is the ZSKT authors' (BatchNorm without affine,
# read as a normalised image) and every synthesized batch is augmented as
# the teacher was trained (RandomShift(max_shift=2, flip_prob=0.5)).
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/zskt.py'
]

stages = ['backbone.stages.0', 'backbone.stages.1', 'backbone.stages.2']
model = dict(
    _base_.zskt_model,
    synthesizer=dict(
        generator=dict(out_act='bn'),
        normalized_output=dict(mean=[72.89], std=[89.98]),
        views=dict(type='RandomShift', max_shift=2, flip_prob=0.5)),
    student_losses=dict(
        _base_.zskt_model.student_losses,
        attention=dict(
            type='AttentionTransferLoss',
            teacher_layers=stages,
            student_layers=stages,
            loss_weight=250.0)))

max_iters = 350  # ~9 minutes of one core (rounds of 11 steps)
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
