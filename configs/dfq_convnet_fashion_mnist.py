# DFQ (Choi et al., CVPRW'20) on Fashion-MNIST, pair (b): the generator
# matches the teacher's BatchNorm statistics, is classified confidently
# (one-hot), spreads over the classes (information entropy ×20) and
# maximises the student-teacher KL; the student minimises the KL. Rounds of
# 5 student steps and 1 generator step, fresh latents for every step.
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/dfq.py'
]

model = dict(_base_.dfq_model, schedule=[('student', 5), ('generator', 1)])
