# DAFL (Chen et al., ICCV'19) on digits (_base_/methods/dafl.py): the
# activation term reads the input of the ConvNet's head.
_base_ = ['./_base_/data_free/digits.py', './_base_/methods/dafl.py']

model = dict(
    _base_.dafl_model,
    generator_losses=dict(
        _base_.dafl_model.generator_losses,
        activation=dict(
            type='ActivationLoss', layer='head:in', loss_weight=0.1)))
