from .base import BaseSynthesizer, SynthesisEnv
from .best_iterate import BestIterate
from .contrastive_synthesizer import ContrastiveSynthesizer, contrastive_loss
from .disk_pool import DiskPool
from .generator_synthesizer import GeneratorSynthesizer
from .indicators import batch_diversity, class_balance
from .memory_bank import MemoryBank
from .meta_synthesizer import MetaSynthesizer
from .online import OnlineSynthesizer
from .pixel_synthesizer import PixelSynthesizer
from .pool import SyntheticPool
from .pool_synthesizer import LossFn, PoolSynthesizer
from .random_intensity import RandomIntensityScale
from .random_shift import RandomShift
from .views import DifferentiableViews

__all__ = [
    'BaseSynthesizer', 'BestIterate', 'ContrastiveSynthesizer',
    'DifferentiableViews', 'DiskPool', 'GeneratorSynthesizer', 'LossFn',
    'MemoryBank', 'MetaSynthesizer', 'OnlineSynthesizer', 'PixelSynthesizer',
    'PoolSynthesizer', 'RandomIntensityScale', 'RandomShift', 'SynthesisEnv',
    'SyntheticPool',
    'batch_diversity', 'class_balance', 'contrastive_loss'
]
