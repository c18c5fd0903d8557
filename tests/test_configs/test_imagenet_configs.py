"""The ImageNet recipes carry the published settings that their comments
and docs/imagenet.md state, read from the built synthesizers and loss
terms (DeepInversion: NVlabs/DeepInversion's ImageNet code, setting 0;
Fast-50: Fast-Datafree's datafree_kd_imagenet.py and its ImageNet logs).
That they train through the runner: test_configs_run.py."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdfkd.engine.preflight import check_data_roots, check_teacher_checkpoint
from mmdfkd.registry import MODELS
from tests.conftest import ROOT

DEEPINV = 'configs/deepinv_resnet50_resnet50_imagenet.py'
FAST = {
    'configs/fast_resnet50_resnet18_imagenet.py':
    ('mmpretrain::resnet/resnet18_8xb32_in1k.py', 1.0),
    'configs/fast_resnet50_mobilenetv2_imagenet.py':
    ('mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py', 0.1),
}
CONFIGS = [DEEPINV, *FAST]


def load(path: str) -> Config:
    return Config.fromfile(osp.join(ROOT, path))


def build(cfg: dict):
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        return MODELS.build(dict(cfg))


@pytest.mark.parametrize('path', CONFIGS)
def test_shared_imagenet_setting(path):
    cfg = load(path)
    assert cfg.model.teacher == 'mmpretrain::resnet/resnet50_8xb32_in1k.py'
    # validation: ImageNet val in mmpretrain's layout, never selected on
    val = cfg.val_dataloader.dataset
    assert (val.type, val.data_root, val.split) == (
        'mmpretrain.ImageNet', 'data/imagenet', 'val')
    assert [t['type'] for t in val.pipeline][1:3] == [
        'mmpretrain.ResizeEdge', 'mmpretrain.CenterCrop'
    ]
    assert 'save_best' not in cfg.default_hooks.checkpoint
    # Fast-50's student recipe
    assert cfg.model.student_losses.kd == dict(type='KLDivergenceLoss',
                                               tau=5.0)
    assert cfg.optim_wrapper.student.optimizer == dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = cfg.param_scheduler.student[0]
    assert sched.type == 'CosineAnnealingLR'
    assert sched.T_max == cfg.train_cfg.max_iters
    views = build(cfg.model.synthesizer.student_views).transforms
    assert [type(v).__name__ for v in views] == [
        'RandomResizedCrop', 'RandomHorizontalFlip'
    ]
    assert tuple(views[0].flags['size']) == (224, 224)
    # kornia's default scale, torchvision's: (0.08, 1)
    assert 'scale' not in cfg.model.synthesizer.student_views.transforms[0]
    # the pool's settings: one variable of the base, used as it is
    assert cfg.model.synthesizer.pool == cfg.pool == dict(type='DiskPool',
                                                         device='cpu')


def test_deepinversion_published_settings(tmp_path):
    cfg = load(DEEPINV)
    cfg.model.synthesizer.pool.root = str(tmp_path)  # tools/train.py's job
    synth = build(cfg.model.synthesizer)
    assert synth.image_shape == (3, 224, 224)
    # 2,000 steps at 112×112 then 1,000 at 224, Adam 0.25 β (0.5, 0.9),
    # 100 warm-up steps then cosine, per resolution
    assert (synth.iterations, synth.low_res_iterations,
            synth.low_res_factor) == (3000, 2000, 2)
    assert (synth.lr, synth.betas) == (0.25, (0.5, 0.9))
    assert synth.cosine_lr and synth.warmup_iters == 100
    # jitter: a roll of up to 30 pixels (15 at 112), flip with p = 0.5
    views = synth.views
    assert (type(views).__name__, views.max_shift, views.wrap,
            views.flip_prob) == ('RandomShift', 30, True, 0.5)
    terms = {k: build(v) for k, v in cfg.model.generator_losses.items()}
    assert set(terms) == {'bn', 'onehot', 'tv'}  # no competition (ADI 0)
    assert (terms['bn'].loss_weight, terms['bn'].first_layer_weight,
            terms['bn'].momentum) == (0.01, 10.0, None)
    assert (terms['onehot'].loss_weight, terms['onehot'].target) == (
        1.0, 'sampled')
    # 1,667 rounds of 84: 140,028 images (DeepInv-2k's 140k)
    assert cfg.train_dataloader.batch_size == 84
    assert cfg.train_cfg.max_iters * 84 == 140028
    assert cfg.model.schedule == [('synthesis', 1), ('student', 240)]
    assert synth.student_batch_size == 100
    assert cfg.model.student == 'mmpretrain::resnet/resnet50_8xb32_in1k.py'


@pytest.mark.parametrize('path', list(FAST))
def test_fast50_published_settings(path, tmp_path):
    student, adv = FAST[path]
    cfg = load(path)
    assert cfg.model.student == student
    cfg.model.synthesizer.pool.root = str(tmp_path)  # tools/train.py's job
    synth = build(cfg.model.synthesizer)
    # g_steps 50, lr_g 2e-4, lr_z 0.01, Reptile (is_maml 0) at lr_g_meta
    # 1e-4, β (0.5, 0.999); no layer reset (reset_l0 0)
    assert (synth.inner_steps, synth.lr_g, synth.lr_z) == (50, 2e-4, 0.01)
    assert (synth.meta, synth.meta_lr, synth.betas) == ('reptile', 1e-4,
                                                        (0.5, 0.999))
    assert synth.reset_layers == ()
    # DeepGenerator(nz=256, ngf=64, img_size=224): a 256×14×14 latent map
    gen = synth.generator
    assert (gen.latent_channels, gen.latent_size, gen.img_size) == (
        256, (14, 14), (224, 224))
    assert gen(torch.zeros(1, gen.latent_dim)).shape == (1, 3, 224, 224)
    crop, flip = synth.views.transforms
    assert type(crop).__name__ == 'RandomResizedCrop'
    assert tuple(crop.flags['size']) == (224, 224)
    assert tuple(cfg.model.synthesizer.views.transforms[0].scale) == (0.75,
                                                                      1.0)
    assert type(flip).__name__ == 'RandomHorizontalFlip'
    terms = {k: build(v) for k, v in cfg.model.generator_losses.items()}
    assert (terms['bn'].loss_weight, terms['bn'].momentum) == (0.1, 0.9)
    assert terms['onehot'].loss_weight == 0.1
    assert terms['onehot'].target == 'sampled'  # rand_label 1
    assert type(terms['adv']).__name__ == 'MaskedAdversarialKLLoss'
    assert terms['adv'].loss_weight == adv
    # 400 epochs × 10 rounds of one batch of 100 and 100 student steps
    assert cfg.model.warmup_rounds == 0  # start_kd 0
    assert cfg.train_dataloader.batch_size == 100
    assert cfg.model.schedule == [('synthesis', 1), ('student', 100)]
    assert cfg.train_cfg.max_iters == 4000
    assert cfg.train_cfg.val_interval == 10  # the authors' epoch


def test_missing_imagenet_names_the_layout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=r"'data/imagenet' of mmpretrain.ImageNet does "
                       r"not exist. Put ImageNet-1k there in mmpretrain's "
                       r'layout: val/, meta/val.txt \(docs/imagenet.md\)'):
        check_data_roots(load(DEEPINV))


def test_missing_teacher_names_the_released_weights(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load('configs/fast_resnet50_resnet18_imagenet.py')
    with pytest.raises(FileNotFoundError) as info:
        check_teacher_checkpoint(cfg)
    text = str(info.value)
    assert ('python tools/train.py configs/teachers/resnet50_imagenet.py'
            in text)
    assert ('Published weights of this teacher: https://download.openmmlab'
            '.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-'
            'ea4938fc.pth' in text)


def test_teacher_loads_weights_in_the_released_format(tmp_path):
    """mmpretrain's released ResNet-50 file holds the classifier's
    ``state_dict`` (an OrderedDict: ``backbone.*``, ``head.fc.*``) beside
    a ``meta`` dict of strings, numbers and the class names: it loads
    strictly, as untrusted input, into the configs' teacher."""
    from collections import OrderedDict

    from mmdfkd.models.algorithms.networks import (build_network,
                                                   load_teacher_weights)
    cfg = load('configs/fast_resnet50_resnet18_imagenet.py')
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        released = build_network(cfg.model.teacher, 'teacher')
        teacher = build_network(cfg.model.teacher, 'teacher')
    state = OrderedDict(released.state_dict())
    assert 'head.fc.weight' in state and 'backbone.conv1.weight' in state
    path = str(tmp_path / 'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
    torch.save(
        dict(
            meta=dict(mmcls_version='0.15.0', epoch=100, iter=500400,
                      time='Tue Aug 31 2021',
                      CLASSES=[f'class {i}' for i in range(1000)]),
            state_dict=state), path)
    load_teacher_weights(teacher, path)
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, state[key]), key
