# ZSKT (Micaelli & Storkey, NeurIPS'19) on Fashion-MNIST, pair (a) (LeNet-5
# → LeNet-5-half, no BatchNorm): the generator maximises KL(T‖S); the
# student minimises KL plus 250 × attention transfer on the two pooled
# convolution maps (14×14 and 5×5; the third is 1×1, where attention is
# constant), 10 student steps per generator step on the same z, Adam for
# both, cosine schedule, gradient clipping at 5.
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = ['./_base_/data_free/fashion_mnist_lenet5.py']

train_dataloader = dict(dataset=dict(draws=1))  # the same z for a round
stages = ['backbone.features.2', 'backbone.features.5']
model = dict(
    generator_losses=dict(adv=dict(type='AdversarialKLLoss', tau=1.0)),
    student_losses=dict(
        kd=dict(type='KLDivergenceLoss', tau=1.0),
        attention=dict(
            type='AttentionTransferLoss',
            teacher_layers=stages,
            student_layers=stages,
            loss_weight=250.0)),
    schedule=[('generator', 1), ('student', 10)])

max_iters = 600
optim_wrapper = dict(
    generator=dict(
        optimizer=dict(_delete_=True, type='Adam', lr=1e-3),
        clip_grad=dict(max_norm=5.0)),
    student=dict(
        optimizer=dict(_delete_=True, type='Adam', lr=2e-3),
        clip_grad=dict(max_norm=5.0)))
param_scheduler = dict(
    _delete_=True,
    generator=[
        dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False)
    ],
    student=[
        dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False)
    ])
train_cfg = dict(max_iters=max_iters)
