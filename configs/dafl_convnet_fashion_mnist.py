# DAFL (Chen et al., ICCV'19) on Fashion-MNIST, pair (b): the generator is
# trained against the teacher alone (one-hot + 0.1 activation + 5
# information entropy); the student learns KL at temperature 6 on fresh
# samples; 1 G : 5 S.
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/dafl.py'
]

model = dict(
    _base_.dafl_model,
    generator_losses=dict(
        _base_.dafl_model.generator_losses,
        activation=dict(
            type='ActivationLoss', layer='head:in', loss_weight=0.1)))
