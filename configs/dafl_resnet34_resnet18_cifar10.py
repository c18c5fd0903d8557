# DAFL (Chen et al., ICCV'19), CIFAR-10 ResNet-34 → ResNet-18: the generator
# trained against the teacher alone (one-hot + 0.1 activation + 5 information
# entropy), the student with KL at τ = 6 on fresh samples; 1 G : 5 S,
# batch 256, latent 1000.
_base_ = ['./_base_/data_free/cifar10.py']

latent_dim = 1000
train_dataloader = dict(dataset=dict(latent_dim=latent_dim))
model = dict(
    synthesizer=dict(generator=dict(latent_dim=latent_dim)),
    generator_losses=dict(
        onehot=dict(type='OneHotLoss', target='argmax'),
        activation=dict(type='ActivationLoss', loss_weight=0.1),
        balance=dict(type='ClassBalanceLoss', loss_weight=5.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=6.0)),
    schedule=[('generator', 1), ('student', 5)])

max_iters = 40000
param_scheduler = dict(
    generator=[dict(type='ConstantLR', factor=1.0, by_epoch=False)],
    student=[
        dict(type='MultiStepLR', milestones=[16000, 32000], gamma=0.1,
             by_epoch=False)
    ])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=1000)
