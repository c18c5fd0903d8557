# Knowledge distillation with real data (a reference for the data-free
# methods): the student learns the teacher's softened predictions (KL at
# τ = 4) on a real training split, with no ground-truth term.
kd_model = dict(
    type='KnowledgeDistiller',
    student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=4.0)))
