from .contrastive_synthesizer import ContrastiveSynthesizer, contrastive_loss
from .generator_synthesizer import GeneratorSynthesizer
from .memory_bank import MemoryBank
from .meta_synthesizer import MetaSynthesizer
from .pixel_synthesizer import PixelSynthesizer
from .pool import SyntheticPool
from .random_shift import RandomShift
from .views import DifferentiableViews

__all__ = [
    'ContrastiveSynthesizer', 'DifferentiableViews', 'GeneratorSynthesizer',
    'MemoryBank', 'MetaSynthesizer', 'PixelSynthesizer', 'RandomShift',
    'SyntheticPool', 'contrastive_loss'
]
