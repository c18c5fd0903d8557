# ZSKT (Micaelli & Storkey, NeurIPS'19), CIFAR-10 ResNet-34 → ResNet-18: the
# generator maximises KL(T‖S); the student minimises KL + 250 × attention
# transfer on the 4 stages; 1 G : 10 S on the same z, batch 128, z 100,
# Adam (S 2e-3, G 1e-3), cosine, gradient clipping at 5, 80k rounds.
_base_ = ['./_base_/data_free/cifar10.py']

latent_dim = 100
global_batch_size = 128
train_dataloader = dict(dataset=dict(latent_dim=latent_dim, draws=1))
stages = ['backbone.layer1', 'backbone.layer2', 'backbone.layer3',
          'backbone.layer4']
model = dict(
    synthesizer=dict(generator=dict(latent_dim=latent_dim)),
    generator_losses=dict(adv=dict(type='AdversarialKLLoss', tau=1.0)),
    student_losses=dict(
        kd=dict(type='KLDivergenceLoss', tau=1.0),
        attention=dict(
            type='AttentionTransferLoss',
            teacher_layers=stages,
            student_layers=stages,
            loss_weight=250.0)),
    schedule=[('generator', 1), ('student', 10)])

max_iters = 80000
optim_wrapper = dict(
    generator=dict(
        optimizer=dict(_delete_=True, type='Adam', lr=1e-3),
        clip_grad=dict(max_norm=5.0)),
    student=dict(
        optimizer=dict(_delete_=True, type='Adam', lr=2e-3),
        clip_grad=dict(max_norm=5.0)))
param_scheduler = dict(
    generator=[dict(type='CosineAnnealingLR', T_max=max_iters,
                    by_epoch=False)],
    student=[dict(type='CosineAnnealingLR', T_max=max_iters,
                  by_epoch=False)])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=2000)
