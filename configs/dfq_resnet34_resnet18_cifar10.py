# DFQ (Choi et al., CVPRW'20), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/dfq.py; published 94.61 %): generator loss −KL(T‖S) + BN
# statistics + one-hot(argmax) + 20 × information entropy; student KL;
# 1 G : 10 S with fresh latents, batch 256, nz 256.
_base_ = ['./_base_/data_free/cifar10.py', './_base_/methods/dfq.py']

model = dict(_base_.dfq_model, schedule=[('generator', 1), ('student', 10)])

max_iters = 40000
param_scheduler = dict(
    generator=[dict(type='CosineAnnealingLR', T_max=max_iters,
                    by_epoch=False)],
    student=[dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-3,
                  by_epoch=False)])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1000)
