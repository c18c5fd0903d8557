# kd_digits.py plus contrastive representation distillation (CRD, ICLR'20)
# on the pooled penultimate features (student 64-d, teacher 128-d, the
# inputs of the heads), weight 0.8 as in CRD's KD + CRD runs. Its memory
# is a queue of 512 embeddings (under half of the 1068 train images): its
# size does not grow with the dataset.
_base_ = ['./kd_digits.py']

model = dict(
    student_losses=dict(
        crd=dict(
            type='CRDLoss',
            student_channels=64,
            teacher_channels=128,
            queue_size=512,
            loss_weight=0.8)))
