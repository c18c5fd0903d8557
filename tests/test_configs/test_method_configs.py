"""The method configs that must exist, and the hooks every config keeps.
(That each one trains through the runner: test_configs_run.py.)"""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import ROOT

CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs/*.py')))


def test_all_methods_have_configs():
    names = {osp.basename(p) for p in CONFIGS}
    for method in ('dafl', 'dfad', 'zskt', 'dfq'):
        assert f'{method}_digits.py' in names
        assert f'{method}_resnet34_resnet18_cifar10.py' in names
    for data in ('digits', 'resnet34_resnet18_cifar10',
                 'resnet34_resnet18_cifar100'):
        assert f'ddad_{data}.py' in names
    for method in ('ddad', 'dfad'):
        for data in ('camvid', 'nyuv2'):
            assert f'{method}_deeplabv3_{data}.py' in names
    assert 'ddad_deeplabv3_street_scenes.py' in names
    for method in ('deepinv', 'cmi', 'fast'):
        assert f'{method}_digits.py' in names
        for pair in ('resnet34_resnet18', 'wrn40_2_wrn16_1'):
            for data in ('cifar10', 'cifar100'):
                assert f'{method}_{pair}_{data}.py' in names


@pytest.mark.parametrize('config', CONFIGS)
def test_runtime_hooks_survive_overrides(config):
    """Configs that replace `custom_hooks` keep the export, RNG and
    collapse-monitor hooks."""
    hooks = {h['type'] for h in Config.fromfile(osp.join(ROOT,
                                                        config)).custom_hooks}
    assert {'StudentExportHook', 'RNGStateHook',
            'CollapseMonitorHook'} <= hooks
