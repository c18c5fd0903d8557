# DFAD (Fang et al. 2019) on Fashion-MNIST, pair (a) (LeNet-5 →
# LeNet-5-half, no BatchNorm): the generator maximises the L1 discrepancy of
# student and teacher logits; the student minimises it on fresh samples;
# rounds of 5 student steps then 1 generator step; the evaluated and
# exported student is an exponential moving average of the live one.
# Published on MNIST: 98.3 % (teacher 98.9 %).
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_lenet5.py',
    './_base_/methods/dfad.py'
]

model = dict(_base_.dfad_model, student_ema=dict(momentum=0.01))
default_hooks = _base_.dfad_hooks
