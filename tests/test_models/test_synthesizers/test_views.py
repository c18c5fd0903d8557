"""DifferentiableViews: kornia augmentations from configs, in pixel space,
with gradients to the input."""
import sys

import pytest
import torch

from mmdfkd.models.synthesizers.views import DifferentiableViews
from mmdfkd.registry import MODELS

GLOBAL_VIEW = [
    dict(type='RandomCrop', size=(16, 16), padding=4),
    dict(type='RandomHorizontalFlip')
]
LOCAL_VIEW = [
    dict(type='RandomResizedCrop', size=(16, 16), scale=(0.25, 1.0)),
    dict(type='RandomHorizontalFlip')
]
AFFINE_VIEW = [dict(type='RandomAffine', degrees=0, translate=(0.2, 0.2))]
TRANSLATE_VIEW = [
    dict(type='RandomTranslate', translate_x=(-0.2, 0.2),
         translate_y=(-0.2, 0.2), p=1.0),
    dict(type='RandomVerticalFlip')
]


def images(n=6, size=16):
    torch.manual_seed(0)
    return (torch.rand(n, 3, size, size) * 255).requires_grad_()


@pytest.mark.parametrize(
    'transforms', [GLOBAL_VIEW, LOCAL_VIEW, AFFINE_VIEW, TRANSLATE_VIEW])
def test_shapes_pixel_range_and_gradient(transforms):
    views = MODELS.build(dict(type='DifferentiableViews',
                              transforms=transforms))
    assert isinstance(views, DifferentiableViews)
    assert all(not t.same_on_batch for t in views.transforms)
    x = images()
    y = views(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert y.max() > 200  # pixel values: nothing clamped to [0, 1]
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.isfinite(x.grad).all()


def test_resized_output_and_per_image_parameters():
    views = DifferentiableViews(
        [dict(type='RandomResizedCrop', size=(8, 12), scale=(0.25, 0.5))])
    x = images(n=4)
    y = views(x)
    assert y.shape == (4, 3, 8, 12)
    # same_on_batch=False: identical images get different crops
    same = x[:1].detach().expand(4, -1, -1, -1)
    out = views(same)
    assert not torch.allclose(out[0], out[1])


@pytest.mark.parametrize('name,dim', [('RandomHorizontalFlip', -1),
                                      ('RandomVerticalFlip', -2)])
def test_flip_with_p1_is_torch_flip(name, dim):
    views = DifferentiableViews([dict(type=name, p=1.0)])
    x = images()
    torch.testing.assert_close(views(x), torch.flip(x, dims=[dim]))


def test_reproducible_under_manual_seed():
    views = DifferentiableViews(GLOBAL_VIEW + LOCAL_VIEW)
    x = images()
    torch.manual_seed(7)
    a = views(x)
    torch.manual_seed(7)
    b = views(x)
    c = views(x)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(b, c)


def test_unknown_type_names_valid_ones():
    with pytest.raises(ValueError, match='RandomCrop') as info:
        DifferentiableViews([dict(type='RandomCorp', size=(8, 8))])
    assert 'Did you mean' in str(info.value)
    with pytest.raises(ValueError, match='not a 2-D augmentation'):
        DifferentiableViews([dict(type='AugmentationSequential')])
    with pytest.raises(TypeError):
        DifferentiableViews(['RandomCrop'])


def test_intensity_ops_need_pixel_range():
    jitter = dict(type='ColorJitter', brightness=0.2, contrast=0.2, p=1.0)
    with pytest.raises(ValueError, match='pixel_range'):
        DifferentiableViews([jitter])
    views = DifferentiableViews([jitter], pixel_range=(0, 255))
    x = images()
    y = views(x)
    assert y.max() > 100 and y.min() >= 0 and y.max() <= 255 + 1e-3
    y.sum().backward()
    assert x.grad.abs().sum() > 0
    # the rescaling alone is the identity
    flip = DifferentiableViews([dict(type='RandomHorizontalFlip', p=1.0)],
                               pixel_range=(-1, 1))
    torch.testing.assert_close(flip(x), torch.flip(x, dims=[-1]))


def test_random_parameters_stay_on_the_host():
    """After any move (e.g. to a GPU with the model) the views set kornia's
    parameter draws back to the CPU: its crops read them with ``tolist``,
    which on the device would be a sync per view. (Only a CPU exists here,
    so the test checks who set the device last, not which device kornia
    would have chosen.)"""
    views = DifferentiableViews([
        dict(type='RandomCrop', size=(8, 8), padding=1),
        dict(type='RandomResizedCrop', size=(8, 8)),
        dict(type='RandomHorizontalFlip')
    ])
    last = {}
    for t in views.transforms:
        original = t.set_rng_device_and_dtype

        def spy(device, dtype, original=original, t=t):
            frame = sys._getframe(1)
            last[id(t)] = (frame.f_code.co_filename, torch.device(device))
            original(device, dtype)

        t.set_rng_device_and_dtype = spy
    views.to(torch.float64)  # any move goes through Module._apply
    views_file = sys.modules[DifferentiableViews.__module__].__file__
    assert len(last) == len(views.transforms)
    assert all(v == (views_file, torch.device('cpu'))
               for v in last.values())
    assert all(t.dtype == torch.float64 for t in views.transforms)
