from .generator_synthesizer import GeneratorSynthesizer

__all__ = ['GeneratorSynthesizer']
