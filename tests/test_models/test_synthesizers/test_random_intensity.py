import copy

import pytest
import torch
from mmengine.runner import Runner

from mmdfkd.models.synthesizers import RandomIntensityScale
from tests.conftest import load_cfg


def test_each_image_scaled_about_the_pivot_by_its_own_factor():
    torch.manual_seed(0)
    images = torch.rand(256, 2, 3, 4) * 255
    out = RandomIntensityScale(scale=(0.4, 1.0), pivot=10.)(images)
    assert out.shape == images.shape
    # one factor per image: (out − pivot) / (x − pivot) is constant in it
    factors = (out - 10.) / (images - 10.)
    per_image = factors.flatten(1)
    torch.testing.assert_close(per_image,
                               per_image[:, :1].expand_as(per_image))
    f = per_image[:, 0]
    assert bool((f >= 0.4).all()) and bool((f <= 1.0).all())
    # drawn uniformly: the mean and the spread of 256 draws
    assert abs(f.mean().item() - 0.7) < 0.05
    assert f.min().item() < 0.45 and f.max().item() > 0.95


def test_black_stays_black_and_gradient_is_the_factor():
    torch.manual_seed(1)
    images = torch.zeros(8, 1, 4, 4)
    images[:, :, 1:3, 1:3] = 200.
    images.requires_grad_(True)
    view = RandomIntensityScale(scale=(0.5, 0.9))
    out = view(images)
    assert bool((out[:, :, 0] == 0).all())  # the background is kept
    factors = out[:, 0, 1, 1] / 200.
    out.sum().backward()
    torch.testing.assert_close(
        images.grad, factors.view(-1, 1, 1, 1).expand_as(images))


def test_reproducible_from_the_global_seed():
    images = torch.rand(16, 1, 2, 2)
    view = RandomIntensityScale()
    torch.manual_seed(3)
    first = view(images)
    torch.manual_seed(3)
    assert torch.equal(view(images), first)
    assert not torch.equal(view(images), first)


@pytest.mark.parametrize('scale', [(0., 1.), (1., 0.5), (-0.5, 1.)])
def test_bad_scale(scale):
    with pytest.raises(ValueError, match='0 < low <= high'):
        RandomIntensityScale(scale=scale)


def test_bad_shape():
    with pytest.raises(ValueError, match='N×C×H×W'):
        RandomIntensityScale()(torch.zeros(3, 4, 4))


def test_a_config_chains_it_after_the_shift(trained_teacher, tmp_path):
    """Through the runner: the digits DFAD config with its views chained,
    ``[RandomShift, RandomIntensityScale]``, trains its student."""
    cfg = load_cfg('configs/dfad_digits.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = trained_teacher
    cfg.model.synthesizer.views = [
        dict(type='RandomShift', max_shift=1),
        dict(type='RandomIntensityScale', scale=(0.6, 1.0))
    ]
    cfg.train_dataloader.batch_size = 16
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 1000
    cfg.default_hooks.checkpoint.interval = 1000
    for key in ('synthetic_grid', 'student_export', 'collapse_monitor'):
        cfg.default_hooks.pop(key, None)
    runner = Runner.from_cfg(cfg)
    synthesizer = runner.model.synthesizer
    assert [type(v).__name__ for v in synthesizer.views] == [
        'RandomShift', 'RandomIntensityScale']
    before = copy.deepcopy(runner.model.student.state_dict())
    runner.train()
    after = runner.model.student.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
