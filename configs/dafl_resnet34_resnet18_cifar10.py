# DAFL (Chen et al., ICCV'19), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/dafl.py): the generator trained against the teacher alone
# (one-hot + 0.1 activation + 5 information entropy), the student with KL
# at τ = 6 on fresh samples; 1 G : 5 S, batch 256, latent 1000.
_base_ = ['./_base_/data_free/cifar10.py', './_base_/methods/dafl.py']

latent_dim = 1000
model = dict(
    _base_.dafl_model,
    synthesizer=dict(generator=dict(latent_dim=latent_dim)))

max_iters = 40000
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(type='MultiStepLR', milestones=[16000, 32000], gamma=0.1,
             by_epoch=False)
    ])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1000)
