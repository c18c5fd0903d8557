# DDAD (arXiv 2104.05382) on Fashion-MNIST, pair (b): a dual discriminator
# for the generator, the teacher through its BatchNorm statistics (α·L_BN)
# and the student through maximum discrepancy (−β·L1(S, T)); the student
# minimises the L1 on fresh samples. DFAD's rounds of 5 student steps then
# 1 generator step, α = β = 1 (ALGORITHMS.md).
# First version: the digits recipe ported, not tuned for this dataset.
_base_ = [
    './_base_/data_free/fashion_mnist_convnet.py',
    './_base_/methods/ddad.py'
]

model = _base_.ddad_model
