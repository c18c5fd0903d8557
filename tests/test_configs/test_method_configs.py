"""Every data-free config builds, and one round runs with its own losses,
schedule and optimisers (tiny batch, random teacher)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from mmdfkd.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from tests.conftest import ROOT
from tests.fashion_mnist_data import write_fashion_mnist

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


def later_stages(cfg):
    """Schedules that ScheduleSwitchHooks switch to (two-stage methods)."""
    return [
        entry for hook in cfg.get('custom_hooks', [])
        if hook['type'] == 'ScheduleSwitchHook' for entry in hook['schedule']
    ]


def first_batch(cfg, batch_size, tmp_path):
    """The first items of the config's training data, collated as its
    loader does: latents, or real samples for real-data distillation
    (Fashion-MNIST from tiny files in the official layout)."""
    ds_cfg = cfg.train_dataloader.dataset
    if ds_cfg.type.split('.')[-1] == 'FashionMNISTDataset':
        ds_cfg.data_root = write_fashion_mnist(str(tmp_path / 'fmnist'))
    dataset = DATASETS.build(ds_cfg)
    items = [dataset[i] for i in range(batch_size)]
    if cfg.model.type == 'KnowledgeDistiller':
        return pseudo_collate(items)
    return torch.utils.data.default_collate(items)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_runs_one_round(config, tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.teacher_ckpt = None
    real_data = cfg.model.type == 'KnowledgeDistiller'
    batch_size = 4
    if not real_data:
        # one step per phase of every stage, in the config's order
        cfg.model.schedule = [
            (phase, 1)
            for phase, count in cfg.model.schedule + later_stages(cfg)
            if count
        ]
        if 'iterations' in cfg.model.synthesizer:  # pool synthesizers
            cfg.model.synthesizer.iterations = 2
        cfg.model.warmup_rounds = 0  # the one round must train the student
        generator = cfg.model.synthesizer.get('generator', {})
        if generator.get('type') == 'DCGANGenerator':
            # segmentation: DeepLabV3 networks; 32×32 keeps the round cheap
            generator.img_size = 32
            generator.num_upsamples = 2
            batch_size = 2
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        optim = dict(cfg.optim_wrapper)
        constructor = optim.pop('constructor')
        wrappers = OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(type=constructor, optim_wrapper_cfg=optim))(model)
        batch = first_batch(cfg, batch_size, tmp_path)
    model.train()
    log = model.train_step(batch, wrappers)
    phases = {phase for phase, count in model.schedule if count}
    for phase in phases:
        assert f'{phase}.loss' in log
        assert torch.isfinite(log[f'{phase}.loss'])
    # online generators log their terms per update, pool synthesizers per
    # synthesized batch
    gen = 'synthesis' if 'synthesis' in phases else 'generator'
    expected_terms = {
        f'{gen}.loss_{n}' for n in cfg.model.get('generator_losses', {})
    } | {f'student.loss_{n}' for n in cfg.model.student_losses}
    assert expected_terms <= set(log)


@pytest.mark.parametrize('config', CONFIGS)
def test_runtime_hooks_survive_overrides(config):
    """Configs that replace `custom_hooks` keep the export and RNG hooks."""
    hooks = {h['type'] for h in Config.fromfile(osp.join(ROOT,
                                                        config)).custom_hooks}
    assert {'StudentExportHook', 'RNGStateHook'} <= hooks
