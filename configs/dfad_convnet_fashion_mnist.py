# DFAD (Fang et al. 2019) on Fashion-MNIST, pair (b) (ConvNet 32-64-128
# with BN → 16-32-64): the generator maximises the L1 discrepancy of
# student and teacher logits; the student minimises it on fresh samples;
# rounds of 5 student steps then 1 generator step. The evaluated and
# exported student is an exponential moving average of the live one (as
# on digits: the adversarial game makes the live student swing).
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = ['./_base_/data_free/fashion_mnist_convnet.py']

model = dict(
    generator_losses=dict(adv=dict(type='AdversarialL1Loss', form='neg')),
    student_losses=dict(kd=dict(type='L1LogitsLoss')),
    schedule=[('student', 5), ('generator', 1)],
    student_ema=dict(momentum=0.01))
