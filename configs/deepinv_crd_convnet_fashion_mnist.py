# deepinv_convnet_fashion_mnist.py with CRD added to the student's KL: the
# student also contrasts its pooled penultimate features (64-d) with the
# teacher's (128-d) on batches drawn from the synthetic pool (a queue of
# 4,096 embeddings as memory; pool batches carry no dataset indices, so no
# entry is masked), weight 0.8 as in CRD's KD + CRD runs. It inherits the
# base config's 100 student steps per round: 0.924 of the teacher at
# 600 CPU s, DeepInversion alone 0.920 (one seed each, within a standard
# error of the test split: no evidence that CRD helps here;
# docs/fashion_mnist.md).
_base_ = ['./deepinv_convnet_fashion_mnist.py']

model = dict(
    student_losses=dict(
        crd=dict(
            type='CRDLoss',
            student_channels=64,
            teacher_channels=128,
            queue_size=4096,
            loss_weight=0.8)))
