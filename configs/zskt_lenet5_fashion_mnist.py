# ZSKT (Micaelli & Storkey, NeurIPS'19) on Fashion-MNIST, pair (a) (LeNet-5
# → LeNet-5-half, no BatchNorm): the generator maximises KL(T‖S); the
# student minimises KL plus 250 × attention transfer on the two pooled
# convolution maps (14×14 and 5×5; the third is 1×1, where attention is
# constant), 10 student steps per generator step on the same z, Adam for
# both, cosine schedule, gradient clipping at 5.
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_lenet5.py',
    './_base_/methods/zskt.py'
]

stages = ['backbone.features.2', 'backbone.features.5']
model = dict(
    _base_.zskt_model,
    student_losses=dict(
        _base_.zskt_model.student_losses,
        attention=dict(
            type='AttentionTransferLoss',
            teacher_layers=stages,
            student_layers=stages,
            loss_weight=250.0)))

max_iters = 600
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
