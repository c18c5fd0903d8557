# Fast DFKD "Fast-50" on ImageNet, ResNet-50 → MobileNetV2 (mmpretrain's
# mobilenet-v2_8xb32_in1k.py). Published (Fast-Datafree README): 43.02 %
# top-1 on ImageNet val, the best of 400 per-epoch evaluations (final
# epoch of the authors' log: 42.92); scratch MobileNetV2 70.01. Not
# measured here (no GPU, no ImageNet). The R18 config's recipe
# (fast_resnet50_resnet18_imagenet.py, its comment lists the settings and
# the deviations) with the adversarial weight of this student's log
# (logs/log-imagenet-resnet50_imagenet-mobilenetv2_imagenet-
# FastDFKD_50.txt): 0.1.
_base_ = ['./fast_resnet50_resnet18_imagenet.py']

model = dict(
    student='mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
    generator_losses=dict(adv=dict(loss_weight=0.1)))
