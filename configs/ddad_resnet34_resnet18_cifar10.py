# DDAD (arXiv 2104.05382), CIFAR-10 ResNet-34 → ResNet-18
# (_base_/methods/ddad.py): DFAD's recipe (5 student steps, then 1
# generator step; batch 256, nz 256, 500 epochs of 50 rounds, ×0.1 at
# epochs 100 and 200) with the teacher's BatchNorm statistics as the
# generator's second discriminator: α·L_BN − β·L1(S, T), α = β = 1.
_base_ = ['./dfad_resnet34_resnet18_cifar10.py', './_base_/methods/ddad.py']

model = dict(generator_losses=_base_.ddad_model.generator_losses)
