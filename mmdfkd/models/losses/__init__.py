from .activation import ActivationLoss
from .adversarial import (AdversarialJSLoss, AdversarialKLLoss,
                          AdversarialL1Loss, MaskedAdversarialKLLoss)
from .base import LossTerm
from .bn_statistics import BNStatisticsLoss
from .class_balance import ClassBalanceLoss
from .context import BNMoments, DistillContext
from .crd import CRDLoss
from .diversity import InterSampleDiversityLoss
from .image_prior import TotalVariationLoss
from .increment_penalty import ExpIncrementPenalty
from .kd import AttentionTransferLoss, KLDivergenceLoss, L1LogitsLoss
from .onehot import OneHotLoss

__all__ = [
    'ActivationLoss', 'AdversarialJSLoss', 'AdversarialKLLoss',
    'AdversarialL1Loss', 'AttentionTransferLoss', 'BNMoments',
    'BNStatisticsLoss', 'ClassBalanceLoss', 'CRDLoss', 'DistillContext',
    'ExpIncrementPenalty', 'InterSampleDiversityLoss', 'KLDivergenceLoss',
    'L1LogitsLoss', 'LossTerm', 'MaskedAdversarialKLLoss', 'OneHotLoss',
    'TotalVariationLoss'
]
