"""Differentiable random views of a synthesized batch (kornia).

Synthesis methods that optimise images through augmentations (CMI's global
and local views, DeepInversion's jitter) need the augmentation inside the
autograd graph, on the batch tensor, with new parameters drawn per image:
:class:`DifferentiableViews` builds a sequence of ``kornia.augmentation``
modules from configs and applies it to ``N × C × H × W`` float images.
"""
import difflib
import inspect
from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmdfkd.registry import MODELS

#: Types documented (and tested) to work on images in any pixel range.
SUPPORTED = ('RandomCrop', 'RandomResizedCrop', 'RandomHorizontalFlip',
             'RandomVerticalFlip', 'RandomAffine', 'RandomTranslate')


def _kornia():
    import kornia.augmentation as K  # kornia is imported on first use
    return K


def _is_augmentation_2d(obj) -> bool:
    K = _kornia()
    return (inspect.isclass(obj)
            and issubclass(obj, (K.GeometricAugmentationBase2D,
                                 K.IntensityAugmentationBase2D)))


def _lookup(name: str):
    K = _kornia()
    cls = getattr(K, name, None)
    if cls is not None and _is_augmentation_2d(cls):
        return cls
    valid = sorted(n for n in dir(K) if _is_augmentation_2d(getattr(K, n)))
    close = difflib.get_close_matches(name, valid, n=3)
    hint = f' Did you mean {", ".join(close)}?' if close else ''
    raise ValueError(
        f'DifferentiableViews: {name!r} is not a 2-D augmentation of '
        f'kornia.augmentation.{hint} Supported in any pixel range: '
        f'{", ".join(SUPPORTED)}; intensity augmentations (e.g. '
        f'ColorJitter, RandomGrayscale) need pixel_range.')


@MODELS.register_module()
class DifferentiableViews(nn.Module):
    """A random view of each image, differentiable w.r.t. the images.

    Args:
        transforms (list[dict | nn.Module]): ``kornia.augmentation``
            modules or their configs, applied in order; ``type`` names a
            class of ``kornia.augmentation`` and the other keys are its
            arguments, e.g. CMI's global view
            ``[dict(type='RandomCrop', size=(32, 32), padding=4),
            dict(type='RandomHorizontalFlip')]`` and local view
            ``[dict(type='RandomResizedCrop', size=(32, 32),
            scale=(0.25, 1.0)), dict(type='RandomHorizontalFlip')]``.
            ``same_on_batch`` defaults to False (new parameters for every
            image); kornia's own defaults hold otherwise (e.g. ``p=0.5`` for
            flips, ``p=1`` for crops).
        pixel_range (tuple[float, float], optional): The images' value range
            (e.g. ``(0, 255)``, the synthesizers' default). When given, the
            images are mapped linearly to [0, 1] before the transforms and
            back after them: kornia's intensity augmentations (colour
            jitter, grayscale...) assume [0, 1] and clamp to it. Geometric
            transforms do not need it. Defaults to None (no rescaling).

    Supported without ``pixel_range`` (no value-range assumption, no
    clamping; the gradient reaches the input): ``RandomCrop`` (padding
    filled with ``fill``, 0 by default), ``RandomResizedCrop``,
    ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``RandomAffine``,
    ``RandomTranslate``. Intensity augmentations without ``pixel_range``
    are refused. Some kornia intensity ops are not differentiable (e.g.
    ``RandomEqualize``, ``RandomPosterize``); the gradient does not pass
    through those.

    The random parameters come from torch's global generator, so
    ``torch.manual_seed`` makes the views reproducible.
    """

    def __init__(self,
                 transforms: Sequence[Union[dict, nn.Module]],
                 pixel_range: Optional[Tuple[float, float]] = None) -> None:
        super().__init__()
        if pixel_range is not None:
            low, high = (float(v) for v in pixel_range)
            if not high > low:
                raise ValueError(
                    f'DifferentiableViews: pixel_range must be (low, high) '
                    f'with high > low, got {tuple(pixel_range)}')
            self.pixel_range: Optional[Tuple[float, float]] = (low, high)
        else:
            self.pixel_range = None
        modules: List[nn.Module] = []
        for cfg in transforms:
            modules.append(self._build(cfg))
        self.transforms = nn.ModuleList(modules)

    def _build(self, cfg: Union[dict, nn.Module]) -> nn.Module:
        K = _kornia()
        if isinstance(cfg, nn.Module):
            module = cfg
        else:
            if not isinstance(cfg, dict) or 'type' not in cfg:
                raise TypeError(
                    'DifferentiableViews: each transform is a kornia '
                    'augmentation module or a dict with a "type" key, got '
                    f'{cfg!r}')
            args = dict(cfg)
            cls = _lookup(args.pop('type'))
            if ('same_on_batch' not in args and 'same_on_batch'
                    in inspect.signature(cls.__init__).parameters):
                args['same_on_batch'] = False
            module = cls(**args)
        if (isinstance(module, K.IntensityAugmentationBase2D)
                and self.pixel_range is None):
            raise ValueError(
                f'DifferentiableViews: {type(module).__name__} assumes '
                f'images in [0, 1] (it clamps to it); give pixel_range=('
                f'low, high) so that the images are rescaled around it')
        return module

    def _apply(self, fn, *args, **kwargs) -> 'DifferentiableViews':
        # kornia moves its random parameters to the module's device, and
        # its crops then read them back on the host (``tolist``): a device
        # sync per view. Drawn on the CPU they are read without one and
        # moved to the images' device asynchronously.
        out = super()._apply(fn, *args, **kwargs)
        for transform in self.transforms:
            if hasattr(transform, 'set_rng_device_and_dtype'):
                transform.set_rng_device_and_dtype(torch.device('cpu'),
                                                   transform.dtype)
        return out

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Views of ``images`` (``N × C × H × W`` float), same value range;
        spatial size as the last resizing transform makes it."""
        if images.dim() != 4:
            raise ValueError(
                'DifferentiableViews expects N×C×H×W images, got shape '
                f'{tuple(images.shape)}')
        if self.pixel_range is not None:
            low, high = self.pixel_range
            images = (images - low) / (high - low)
        for transform in self.transforms:
            images = transform(images)
        if self.pixel_range is not None:
            images = images * (high - low) + low
        return images
