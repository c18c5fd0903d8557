from .activation import ActivationLoss
from .adversarial import (AdversarialJSLoss, AdversarialKLLoss,
                          AdversarialL1Loss, MaskedAdversarialKLLoss)
from .base import LossTerm
from .bn_statistics import BNStatisticsLoss
from .class_balance import ClassBalanceLoss
from .context import BNMoments, DistillContext
from .image_prior import TotalVariationLoss
from .kd import AttentionTransferLoss, KLDivergenceLoss, L1LogitsLoss
from .onehot import OneHotLoss

__all__ = [
    'ActivationLoss', 'AdversarialJSLoss', 'AdversarialKLLoss',
    'AdversarialL1Loss', 'AttentionTransferLoss', 'BNMoments',
    'BNStatisticsLoss', 'ClassBalanceLoss', 'DistillContext',
    'KLDivergenceLoss', 'L1LogitsLoss', 'LossTerm', 'MaskedAdversarialKLLoss',
    'OneHotLoss', 'TotalVariationLoss'
]
