# WRN-40-2 / WRN-16-1 of wrn_cifar.py with SVHN's normalisation (mean / std
# of the SVHN train split in 0..255, RGB). Defines ``wrn40_2_svhn`` and
# ``wrn16_1_svhn`` only.
_base_ = ['./wrn_cifar.py']

svhn_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=10,
    mean=[111.61, 113.16, 120.57],
    std=[50.50, 51.26, 50.24],
    to_rgb=False)
wrn40_2_svhn = dict(_base_.wrn40_2, data_preprocessor=svhn_preprocessor)
wrn16_1_svhn = dict(_base_.wrn16_1, data_preprocessor=svhn_preprocessor)
