# DDAD (arXiv 2104.05382): DFAD with a dual discriminator for the generator,
# the teacher through its BatchNorm statistics (α·L_BN) and the student
# through maximum discrepancy (−β·L1(S, T)), α = β = 1 (ALGORITHMS.md); the
# student minimises the L1 on fresh samples. DFAD's rounds of 5 student
# steps then 1 generator step.
ddad_model = dict(
    generator_losses=dict(
        bn=dict(type='BNStatisticsLoss', mode='l2', loss_weight=1.0),
        adv=dict(type='AdversarialL1Loss', form='neg', loss_weight=1.0)),
    student_losses=dict(kd=dict(type='L1LogitsLoss')),
    schedule=[('student', 5), ('generator', 1)])
