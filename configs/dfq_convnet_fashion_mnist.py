# DFQ (Choi et al., CVPRW'20) on Fashion-MNIST, pair (b): the generator
# matches the teacher's BatchNorm statistics, is classified confidently
# (one-hot), spreads over the classes (information entropy ×20) and
# maximises the student-teacher KL; the student minimises the KL. Rounds of
# 5 student steps and 1 generator step, fresh latents for every step.
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = ['./_base_/data_free/fashion_mnist_convnet.py']

model = dict(
    generator_losses=dict(
        adv=dict(type='AdversarialKLLoss', tau=1.0),
        bn=dict(type='BNStatisticsLoss', mode='l2'),
        onehot=dict(type='OneHotLoss', target='argmax'),
        balance=dict(type='ClassBalanceLoss', loss_weight=20.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=1.0)),
    schedule=[('student', 5), ('generator', 1)])
