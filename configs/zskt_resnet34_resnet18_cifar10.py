# ZSKT (Micaelli & Storkey, NeurIPS'19), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/zskt.py): the generator maximises KL(T‖S); the student
# minimises KL + 250 × attention transfer on the 4 stages; 1 G : 10 S on
# the same z, batch 128, z 100, Adam (S 2e-3, G 1e-3), cosine, gradient
# clipping at 5, 80k rounds.
_base_ = ['./_base_/data_free/cifar10.py', './_base_/methods/zskt.py']

latent_dim = 100
train_dataloader = dict(batch_size=128)
stages = ['backbone.layer1', 'backbone.layer2', 'backbone.layer3',
          'backbone.layer4']
model = dict(
    _base_.zskt_model,
    synthesizer=dict(generator=dict(latent_dim=latent_dim)),
    student_losses=dict(
        _base_.zskt_model.student_losses,
        attention=dict(
            type='AttentionTransferLoss',
            teacher_layers=stages,
            student_layers=stages,
            loss_weight=250.0)))

max_iters = 80000
optim_wrapper = _base_.zskt_optim_wrapper
param_scheduler = dict(
    generator=[dict(type='CosineAnnealingLR', T_max=max_iters,
                    by_epoch=False)],
    student=[dict(type='CosineAnnealingLR', T_max=max_iters,
                  by_epoch=False)])
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=2000)
