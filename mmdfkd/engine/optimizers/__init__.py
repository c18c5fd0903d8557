from .autocast_optim_wrapper import AutocastOptimWrapper
from .multi_optim_constructor import MultiOptimWrapperConstructor

__all__ = ['AutocastOptimWrapper', 'MultiOptimWrapperConstructor']
