# CMI (Fang et al., IJCAI'21), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/cmi.py). Published: teacher 95.70 %, CMI student 94.84 %
# (ALGORITHMS.md).
# Each round re-initialises the generator and trains it with fresh
# trainable latents (256-d) for 200 Adam steps (1e-3, β (0.5, 0.999)) on
# BN statistics + 0.5 one-hot (the labels drawn with the latents) + 0.5
# masked adversarial KL (global views: random crop pad 4 + flip) + 0.8
# contrastive (local views: random resized crop, scale 0.25–1, + flip,
# against the global views of the batch and of 4,096 entries drawn from a
# 40,960-entry memory bank; τ_cr 0.1); the lowest-loss batch joins the pool
# and its raw features join the bank. The features are the spatial means of
# the inputs of the teacher's four stages, as the authors chose for
# ResNet-34 (512 values a view: the bank takes 40,960 × 1,024 floats,
# 168 MB). Then the student learns KL at τ = 20 on batches drawn from the
# whole pool with random crop + flip; SGD 0.1, cosine. 200 rounds of 256.
_base_ = ['./_base_/data_free/cifar10_pool.py', './_base_/methods/cmi.py']

model = dict(
    _base_.cmi_model,
    synthesizer=dict(
        _base_.cmi_model.synthesizer,
        generator=_base_.generator,
        global_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(32, 32), padding=4),
                dict(type='RandomHorizontalFlip'),
            ]),
        local_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomResizedCrop', size=(32, 32),
                     scale=(0.25, 1.0)),
                dict(type='RandomHorizontalFlip'),
            ]),
        iterations=200,
        betas=(0.5, 0.999),
        feature_dim=256,
        bank_size=40960,
        num_negatives=4096,
        feature_layers=[
            'backbone.layer1', 'backbone.layer2', 'backbone.layer3',
            'backbone.layer4'
        ]),
    schedule=[('synthesis', 1), ('student', 400)])
