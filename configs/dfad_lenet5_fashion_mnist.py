# DFAD (Fang et al. 2019) on Fashion-MNIST, pair (a) (LeNet-5 →
# LeNet-5-half, no BatchNorm): the generator maximises the L1 discrepancy of
# student and teacher logits; the student minimises it on fresh samples;
# rounds of 5 student steps then 1 generator step; the evaluated and
# exported student is an exponential moving average of the live one.
# Published on MNIST: 98.3 % (teacher 98.9 %).
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = ['./_base_/data_free/fashion_mnist_lenet5.py']

model = dict(
    generator_losses=dict(adv=dict(type='AdversarialL1Loss', form='neg')),
    student_losses=dict(kd=dict(type='L1LogitsLoss')),
    schedule=[('student', 5), ('generator', 1)],
    student_ema=dict(momentum=0.01))

# DFAD's generator is adversarial only: its batches gather where student and
# teacher disagree, a few classes at a time, in healthy runs too (measured on
# digits, configs/dfad_digits.py). The monitor keeps the diversity and
# not-learning criteria.
custom_hooks = [
    dict(h, min_class_balance=0.0) if h['type'] == 'CollapseMonitorHook' else h
    for h in _base_.custom_hooks
]
