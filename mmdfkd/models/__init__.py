from . import algorithms, backbones, generators, losses, synthesizers, wrappers  # noqa: F401
