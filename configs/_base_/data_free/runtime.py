# Runtime of every data-free distillation config: the distillation runtime
# (../distill_runtime.py: logging, checkpoints, export, RNG states,
# collapse monitor, all keyed in `default_hooks`) and a grid of the
# synthesized images every `interval` rounds.
_base_ = ['../distill_runtime.py']

default_hooks = dict(
    synthetic_grid=dict(type='SyntheticImageGridHook', interval=500))
