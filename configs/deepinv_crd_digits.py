# deepinv_digits.py with CRD added to the student's KL: the student also
# contrasts its pooled penultimate features with the teacher's on batches
# drawn from the synthetic pool (a queue of 512 embeddings as memory; pool
# batches carry no dataset indices, so no entry is masked).
_base_ = ['./deepinv_digits.py']

model = dict(
    student_losses=dict(
        crd=dict(
            type='CRDLoss',
            student_channels=64,
            teacher_channels=128,
            queue_size=512,
            loss_weight=0.8)))
