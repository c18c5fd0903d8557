# DFAD (Fang et al. 2019): the generator maximises the L1 discrepancy of
# student and teacher logits; the student minimises it on fresh samples.
# Rounds of 5 student steps then 1 generator step.
# (Method recipes are variables named after the method: a method × task
# config inherits a task base too, and two bases may not both define
# `model`. It merges them: `model = dict(_base_.dfad_model, ...)`.)
dfad_model = dict(
    generator_losses=dict(adv=dict(type='AdversarialL1Loss', form='neg')),
    student_losses=dict(kd=dict(type='L1LogitsLoss')),
    schedule=[('student', 5), ('generator', 1)])

# DFAD's generator is adversarial only: its batches gather where student and
# teacher disagree, a few classes at a time (a healthy digits run, 90 %:
# class balance 0.09-0.66 per 200-round window). Batch balance says nothing
# about failure here; the monitor keeps the diversity and not-learning
# criteria.
dfad_hooks = dict(collapse_monitor=dict(min_class_balance=0.0))
