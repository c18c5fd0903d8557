# DAFL (Chen et al., ICCV'19): the generator is trained against the teacher
# alone (one-hot + 0.1 activation + 5 information entropy); the student
# learns KL at temperature 6 on fresh samples; 1 G : 5 S.
dafl_model = dict(
    generator_losses=dict(
        onehot=dict(type='OneHotLoss', target='argmax'),
        activation=dict(type='ActivationLoss', loss_weight=0.1),
        balance=dict(type='ClassBalanceLoss', loss_weight=5.0)),
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=6.0)),
    schedule=[('generator', 1), ('student', 5)])
