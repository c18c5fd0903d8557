"""The method configs that must exist, that each is its method's recipe
plus what differs, and the hooks every config keeps. (That each one trains
through the runner: test_configs_run.py.)"""
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
    """Every config keeps the keyed runtime hooks (export, RNG states,
    collapse monitor) whatever hooks its method adds or tunes, and lists
    none in `custom_hooks`."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    hooks = {key: hook['type'] for key, hook in cfg.default_hooks.items()}
    assert hooks['student_export'] == 'StudentExportHook'
    assert hooks['rng_state'] == 'RNGStateHook'
    assert hooks['collapse_monitor'] == 'CollapseMonitorHook'
    assert not cfg.get('custom_hooks')
    data_free = cfg.model.type == 'DataFreeDistiller'
    assert ('synthetic_grid' in hooks) == data_free


METHODS = sorted(
    osp.splitext(osp.basename(p))[0]
    for p in glob.glob(osp.join(ROOT, 'configs/_base_/methods/*.py')))


def test_every_method_has_its_recipe():
    assert METHODS == ['cmi', 'dafl', 'ddad', 'deepinv', 'dfad', 'dfq',
                       'fast', 'kd', 'rdskd', 'zskt']
    for method in METHODS:
        leaves = [c for c in CONFIGS
                  if osp.basename(c).startswith(f'{method}_')]
        assert leaves, method
        for leaf in leaves:
            # a method x task config builds on its recipe (directly or
            # through another method x task config): the recipe's
            # variables are in its merged config
            assert f'{method}_model' in Config.fromfile(
                osp.join(ROOT, leaf)), leaf


def test_latent_draws_follow_the_schedule():
    """No latent source states how many draws a round takes: the
    distiller derives them from its schedule (ZSKT's same z: its recipe's
    latent_draws=1)."""
    for config in CONFIGS:
        cfg = Config.fromfile(osp.join(ROOT, config))
        if cfg.model.type != 'DataFreeDistiller':
            continue
        dataset = cfg.train_dataloader.dataset
        assert dataset.type == 'LatentDataset' and 'draws' not in dataset, \
            config
        assert cfg.train_dataloader.batch_sampler.type == \
            'GlobalBatchSampler', config
        assert ('latent_draws' in cfg.model) == ('zskt' in config), config
