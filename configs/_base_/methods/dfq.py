# DFQ (Choi et al., CVPRW'20): the generator matches the teacher's BatchNorm
# statistics, is classified confidently (one-hot), spreads over the classes
# (information entropy ×20) and maximises the student-teacher KL; the
# student minimises the KL. Fresh latents for every step.
dfq_model = dict(
    generator_losses=dict(
        adv=dict(type='AdversarialKLLoss', tau=1.0),
        bn=dict(type='BNStatisticsLoss', mode='l2'),
        onehot=dict(type='OneHotLoss', target='argmax'),
        balance=dict(type='ClassBalanceLoss', loss_weight=20.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=1.0)))
