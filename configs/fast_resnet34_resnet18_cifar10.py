# Fast DFKD (Fang et al., AAAI'22), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/fast.py). Published: teacher 95.70 %, Fast-10 student
# 94.05 % with 0.28 h of synthesis (CMI: 19 h) (ALGORITHMS.md).
# The authors' Fast-10 recipe (Fast-Datafree, scripts/fast_cifar.sh): a
# meta-generator is cloned every round and adapted for 10 Adam steps
# (generator 2e-3, fresh trainable latents 0.01) on 10 × BN statistics
# against a momentum-0.9 target + 0.5 one-hot (the labels drawn with the
# latents) + 1.33 masked adversarial KL (views: random crop pad 4 + flip),
# then meta-updated by first-order MAML (the gradients of all 10 inner
# steps summed; meta Adam at 2e-3 × 10). 20 warm-up rounds only synthesize,
# without the adversarial term; its first layer is re-initialised every 20
# rounds (our choice). 200 rounds of 256 images (~51k) in all, each
# followed by 400 student steps (KL at τ = 20) on batches from the pool;
# SGD 0.1, cosine.
_base_ = ['./_base_/data_free/cifar10_pool.py', './_base_/methods/fast.py']

model = dict(
    _base_.fast_model,
    synthesizer=dict(
        _base_.fast_model.synthesizer,
        generator=_base_.generator,
        views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(32, 32), padding=4),
                dict(type='RandomHorizontalFlip'),
            ])),
    schedule=[('synthesis', 1), ('student', 400)])

# 20 warm-up rounds, then the 200 rounds of the shared schedule
max_iters = 220
param_scheduler = dict(
    student=[dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False)])
train_cfg = dict(max_iters=max_iters)
