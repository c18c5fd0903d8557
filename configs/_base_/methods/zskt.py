# ZSKT (Micaelli & Storkey, NeurIPS'19): the generator maximises KL(T‖S);
# the student minimises KL plus 250 × attention transfer on the backbone
# stages (the task config names them), 10 student steps per generator step
# on the same z (one latent draw per round), Adam for both, gradient
# clipping at 5.
zskt_model = dict(
    generator_losses=dict(adv=dict(type='AdversarialKLLoss', tau=1.0)),
    student_losses=dict(
        kd=dict(type='KLDivergenceLoss', tau=1.0),
        attention=dict(type='AttentionTransferLoss', loss_weight=250.0)),
    schedule=[('generator', 1), ('student', 10)],
    latent_draws=1)
zskt_optim_wrapper = dict(
    generator=dict(
        optimizer=dict(_delete_=True, type='Adam', lr=1e-3),
        clip_grad=dict(max_norm=5.0)),
    student=dict(
        optimizer=dict(_delete_=True, type='Adam', lr=2e-3),
        clip_grad=dict(max_norm=5.0)))
