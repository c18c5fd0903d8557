# DAFL (Chen et al., ICCV'19) on Fashion-MNIST, pair (b): the generator is
# trained against the teacher alone (one-hot + 0.1 activation + 5
# information entropy); the student learns KL at temperature 6 on fresh
# samples; 1 G : 5 S.
# The digits stabilisers (docs/dfad_dafl.md), ported:
# - every synthesized batch, in the generator and in the student step, is
#   augmented as the teacher was trained: RandomShift(max_shift=2,
#   flip_prob=0.5);
# - the generator learns at Adam 0.1 (its distribution keeps moving; the
#   DAFL authors' MNIST generator learns at Adam 0.2).
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/dafl.py'
]

model = dict(
    _base_.dafl_model,
    synthesizer=dict(
        views=dict(type='RandomShift', max_shift=2, flip_prob=0.5)),
    generator_losses=dict(
        _base_.dafl_model.generator_losses,
        activation=dict(
            type='ActivationLoss', layer='head:in', loss_weight=0.1)))
optim_wrapper = dict(generator=dict(optimizer=dict(lr=0.1)))
