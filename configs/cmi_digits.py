# CMI (Fang et al., IJCAI'21) on digits (_base_/methods/cmi.py): 100 steps
# per round, 64-d projections, 1,024 entries drawn per step from a
# 4,096-entry memory bank; the student learns KL at τ = 20 from batches
# drawn from the pool.
_base_ = ['./_base_/data_free/digits_pool.py', './_base_/methods/cmi.py']

model = dict(
    _base_.cmi_model,
    synthesizer=dict(
        _base_.cmi_model.synthesizer,
        generator=_base_.generator,
        global_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomCrop', size=(8, 8), padding=1),
            ]),
        local_views=dict(
            type='DifferentiableViews',
            transforms=[
                dict(type='RandomResizedCrop', size=(8, 8),
                     scale=(0.25, 1.0)),
            ]),
        iterations=100,
        feature_dim=64,
        bank_size=4096,
        num_negatives=1024))
