"""Every shipped config trains as ``tools/train.py`` runs it: the same
preprocessing of the config (preflight), ``Runner.from_cfg``,
one training iteration and one validation pass, on tiny data written in
each dataset's real on-disk layout (tests/data_writers.py) and, for
distillation, a teacher checkpoint saved from a random initialisation.

The configs are shrunk by edits that keep their code paths: small batches
and images, one step per phase of every stage, two synthesis iterations,
a small memory bank. The federated config is no runner config: it is read
by ``tools/demo_fedgen.py`` and the Flower apps, whose shared entry point
(``run_method``) runs one round of each method here.
"""
import copy
import glob
import math
import os.path as osp
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS, DefaultScope
from mmengine.runner import Runner
from torch import nn

from mmdfkd.engine.preflight import preflight
from mmdfkd.engine.work_dir import bind_pool_root
from mmdfkd.models.algorithms import DataFreeDistiller
from mmdfkd.models.algorithms.networks import build_network
from mmdfkd.utils import unwrap_model
from tests.conftest import ROOT
from tests.data_writers import LOADERS, SEG_HW, prepare_tiny_data
from tests.fashion_mnist_data import write_fashion_mnist

CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                       recursive=True)
    if '_base_' not in osp.relpath(p, ROOT).split(osp.sep))
FEDERATED = [c for c in CONFIGS if c.startswith('configs/federated/')]
RUNNER_CONFIGS = [c for c in CONFIGS if c not in FEDERATED]

#: Batch of every loader (and the global batch of data-free configs).
TINY_BATCH = 4
#: Images a generator makes at most (segmentation generators make 128²).
TINY_GENERATOR_SIZE = 32
#: Side of synthesized and validation images of classification configs at
#: larger sizes (ImageNet's 224).
TINY_IMAGE = 32


def is_distiller(cfg) -> bool:
    return 'teacher' in cfg.model and 'student' in cfg.model


def shrink_pipelines(cfg) -> None:
    """Segmentation pipelines and preprocessors at the tiny images' size
    (a ResNet-50-D8 at 360×480 takes minutes per step on a CPU)."""
    h, w = SEG_HW
    for key in LOADERS:
        loader = cfg.get(key)
        if not loader:
            continue
        for t in loader.dataset.get('pipeline', []):
            if t['type'].endswith('RandomResize'):
                t['scale'] = (w, h)
            if t['type'].endswith('RandomCrop') and isinstance(
                    t.get('crop_size'), (tuple, list)):
                t['crop_size'] = (h, w)
    nets = [cfg.model] + [
        cfg.model.get(role) for role in ('teacher', 'student')
    ]
    for net in nets:
        if isinstance(net, dict) and (net.get('data_preprocessor')
                                      or {}).get('size'):
            net['data_preprocessor']['size'] = (h, w)


def _tiny(size):
    """A transform's size (int or (h, w)) capped at TINY_IMAGE."""
    if isinstance(size, int):
        return min(size, TINY_IMAGE)
    return tuple(min(v, TINY_IMAGE) for v in size)


def shrink_images(cfg) -> None:
    """Classification pipelines, synthesized images and their views at
    TINY_IMAGE (a ResNet-50 at 224×224 takes seconds per step on a CPU)."""
    for key in LOADERS:
        loader = cfg.get(key)
        if not loader:
            continue
        for t in loader.dataset.get('pipeline', []):
            kind = t['type'].split('.')[-1]
            if kind == 'ResizeEdge':
                t['scale'] = min(t['scale'], TINY_IMAGE + 4)
            elif kind in ('CenterCrop', 'RandomResizedCrop'):
                for arg in ('crop_size', 'scale'):
                    if isinstance(t.get(arg), int):
                        t[arg] = _tiny(t[arg])
    synth = cfg.model.get('synthesizer', {}) if is_distiller(cfg) else {}
    shape = synth.get('image_shape')
    if shape and max(shape[1:]) > TINY_IMAGE:
        synth['image_shape'] = (shape[0], *_tiny(tuple(shape[1:])))
    for key in ('views', 'student_views'):
        for t in (synth.get(key) or {}).get('transforms', []):
            if 'size' in t:
                t['size'] = _tiny(t['size'])


def shrink_distiller(cfg) -> None:
    """One step per phase of every stage, in the config's order; short
    synthesis; small generator output and memory bank."""
    model = cfg.model
    if 'schedule' in model:
        stages = model.schedule
        if not all(isinstance(s, dict) for s in stages):
            stages = [dict(phases=stages)]
        model.schedule = [(phase, 1) for stage in stages
                          for phase, count in stage['phases'] if count]
    synth = model.get('synthesizer', {})
    for key in ('iterations', 'inner_steps'):
        if key in synth:
            synth[key] = 2
    if synth.get('low_res_iterations'):
        synth['low_res_iterations'] = 1  # one step at each resolution
    if synth.get('type') == 'ContrastiveSynthesizer':  # its memory bank
        synth.update(bank_size=8 * TINY_BATCH, num_negatives=2 * TINY_BATCH)
    if 'warmup_rounds' in model:
        model.warmup_rounds = 0  # the one round must train the student
    generator = synth.get('generator', {})
    size = generator.get('img_size', 0)
    if isinstance(size, int) and size > TINY_GENERATOR_SIZE:
        generator.img_size = TINY_GENERATOR_SIZE
        if 'num_upsamples' in generator:
            generator.num_upsamples = 2


def shrink(cfg) -> None:
    """One iteration of tiny batches, then one validation pass."""
    for key in LOADERS:
        loader = cfg.get(key)
        if not loader:
            continue
        loader.batch_size = min(loader.batch_size, TINY_BATCH)
        loader.num_workers = 0
        loader.persistent_workers = False
    loop = cfg.train_cfg
    if 'max_epochs' in loop:
        # one epoch of one batch
        cfg.train_dataloader.dataset.indices = cfg.train_dataloader.batch_size
        loop.update(max_epochs=1, val_interval=1)
    else:
        loop.update(max_iters=1, val_interval=1)
    shrink_pipelines(cfg)
    shrink_images(cfg)
    if is_distiller(cfg):
        shrink_distiller(cfg)
    else:
        # tests fetch nothing: no ImageNet-pretrained backbone (a teacher
        # inside a distiller never fetches one, see build_network)
        cfg.model.pop('pretrained', None)
        backbone = cfg.model.get('backbone', {})
        if (backbone.get('init_cfg') or {}).get('type') == 'Pretrained':
            backbone.pop('init_cfg')


@pytest.fixture(scope='module')
def random_teacher_checkpoint(tmp_path_factory):
    """``f(cfg)``: a checkpoint of the config's teacher at its random
    initialisation (one file per distinct teacher in this module)."""
    folder = tmp_path_factory.mktemp('teachers')
    paths: Dict[str, str] = {}

    def checkpoint(cfg) -> str:
        key = repr(cfg.model.teacher)
        if key not in paths:
            with DefaultScope.overwrite_default_scope(cfg.default_scope):
                teacher = build_network(copy.deepcopy(cfg.model.teacher),
                                        'teacher')
            path = str(folder / f'teacher_{len(paths)}.pth')
            torch.save(dict(state_dict=teacher.state_dict()), path)
            paths[key] = path
        return paths[key]

    return checkpoint


class ParamChangeProbe(Hook):
    """Records whether the training iteration changed a trainable
    parameter (weights initialised by the runner are the reference)."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.before = {
            name: p.detach().clone()
            for name, p in unwrap_model(runner.model).named_parameters()
            if p.requires_grad
        }

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        params = dict(unwrap_model(runner.model).named_parameters())
        self.changed = [
            name for name, value in self.before.items()
            if not torch.equal(value, params[name].detach())
        ]


def test_configs_are_found():
    assert len(RUNNER_CONFIGS) >= 45
    assert any(c.startswith('configs/teachers/') for c in RUNNER_CONFIGS)
    assert FEDERATED == ['configs/federated/fedgen_digits.py',
                         'configs/federated/fedgen_fashion_mnist.py']
    # the README's example of a student given as an mmpretrain config path
    students = [
        Config.fromfile(osp.join(ROOT, c)).model.get('student')
        for c in RUNNER_CONFIGS if 'cifar10.py' in c
    ]
    assert 'mmpretrain::resnet/resnet18_8xb16_cifar10.py' in students


@pytest.mark.parametrize('config', RUNNER_CONFIGS)
def test_config_trains_and_validates_through_the_runner(
        config, tmp_path, monkeypatch, random_teacher_checkpoint):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.work_dir = str(tmp_path / 'work')
    prepare_tiny_data(cfg, str(tmp_path / 'data'), monkeypatch)
    shrink(cfg)
    distiller = is_distiller(cfg)
    if distiller and 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = random_teacher_checkpoint(cfg)
    # The runner writes the config out three times (log, work dir,
    # checkpoint); yapf's layout of the text took longer than the
    # iteration. The same config, dumped unformatted:
    cfg = Config(cfg.to_dict(), cfg_text=cfg.text, filename=cfg.filename,
                 format_python_code=False)
    # what tools/train.py does before the runner
    bind_pool_root(cfg)
    preflight(cfg)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    probe = ParamChangeProbe()
    runner.register_hook(probe, priority='LOWEST')
    runner.train()

    assert runner.iter == 1
    assert probe.changed, 'the iteration changed no trainable parameter'
    scalars = runner.message_hub.log_scalars
    if distiller:
        model = unwrap_model(runner.model)
        phases = {phase for stage in model.stages
                  for phase, count in stage.phases if count} if isinstance(
                      model, DataFreeDistiller) else {'student'}
        for phase in phases:
            loss = scalars[f'train/{phase}.loss'].current()
            assert math.isfinite(loss), (phase, loss)
        # online generators log their terms per update, pool synthesizers
        # per synthesized batch
        gen = 'synthesis' if 'synthesis' in phases else 'generator'
        expected = {
            f'train/{gen}.loss_{n}'
            for n in cfg.model.get('generator_losses', {})
        } | {f'train/student.loss_{n}' for n in cfg.model.student_losses}
        assert expected <= set(scalars)
    else:
        assert math.isfinite(scalars['train/loss'].current())
    assert [k for k in scalars if k.startswith('val/')], 'no validation'
    # plain BatchNorm: SyncBN only runs in distributed GPU jobs
    assert not [
        m for m in runner.model.modules() if isinstance(m, nn.SyncBatchNorm)
    ]


def test_top_level_data_preprocessor_fails_clearly(tmp_path):
    """What every CIFAR config did before ``data_preprocessor = None`` in
    its base: a typeless top-level ``data_preprocessor`` (mmpretrain's
    dataset bases define one) that the runner passes into the distiller.
    The runner now fails with the key and the fix, not a registry
    KeyError."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/dfad_digits.py'))
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = None
    cfg.data_preprocessor = dict(num_classes=10, mean=[0.], std=[1.])
    with pytest.raises(ValueError, match=r"top-level `data_preprocessor`.*"
                       r'set `data_preprocessor = None` at the top level'):
        Runner.from_cfg(cfg)


@pytest.mark.parametrize('config', FEDERATED)
def test_federated_config_runs_its_entry_point(config, tmp_path):
    from mmdfkd.federated.experiment import METHODS, run_method
    cfg = Config.fromfile(osp.join(ROOT, config))
    data = cfg.get('data') or {}
    if data.get('type') == 'fashion_mnist':
        # tiny files in the official layout (tests never read the package)
        cfg.data.root = write_fashion_mnist(
            str(tmp_path / 'fashion_mnist'), n_train=360, n_test=80)
    cfg.merge_from_dict({
        'rounds': 1,
        'local.steps': 2,
        'server.gen_steps': 2,
        'partition.num_clients': 2,
    })
    for method in METHODS:
        out = run_method(cfg, method, seed=0, eval_splits=('val', ))
        assert len(out['logs']) == 1
        assert 0 <= out['val_accuracy'] <= 100
