# DFAD (Fang et al. 2019), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/dfad.py; published 93.3 %, teacher 95.7 %): 5 student
# steps (fresh z each) then 1 generator step per round; an "epoch" is 50
# rounds, 500 epochs, learning rates ×0.1 at epochs 100 and 200; batch 256,
# nz 256.
_base_ = ['./_base_/data_free/cifar10.py', './_base_/methods/dfad.py']

model = _base_.dfad_model
default_hooks = _base_.dfad_hooks

rounds_per_epoch = 50
max_iters = 500 * rounds_per_epoch
milestones = [100 * rounds_per_epoch, 200 * rounds_per_epoch]
optim_wrapper = dict(
    generator=dict(optimizer=dict(_delete_=True, type='Adam', lr=1e-3)))
param_scheduler = dict(
    generator=[
        dict(type='MultiStepLR', milestones=milestones, gamma=0.1,
             by_epoch=False)
    ],
    student=[
        dict(type='MultiStepLR', milestones=milestones, gamma=0.1,
             by_epoch=False)
    ])
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=5 * rounds_per_epoch)
