# DFQ (Choi et al., CVPRW'20) on Fashion-MNIST, pair (b): the generator
# matches the teacher's BatchNorm statistics, is classified confidently
# (one-hot), spreads over the classes (information entropy ×20) and
# maximises the student-teacher KL; the student minimises the KL. Rounds of
# 5 student steps and 1 generator step, fresh latents for every step.
# Every synthesized batch, in the generator and in the student step, is
# augmented as the teacher was trained (RandomShift(max_shift=2,
# flip_prob=0.5)): the teacher's BN statistics are those of augmented
# images.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/dfq.py'
]

model = dict(
    _base_.dfq_model,
    synthesizer=dict(
        views=dict(type='RandomShift', max_shift=2, flip_prob=0.5)),
    schedule=[('student', 5), ('generator', 1)])
