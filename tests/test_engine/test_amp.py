"""`--amp`: enable_amp on single- and multi-optimiser configs, and the CPU
bf16 AutocastOptimWrapper."""
import glob
import json
import math
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict, \
    build_optim_wrapper
from torch import nn

from mmdfkd.engine import enable_amp
from mmdfkd.engine.optimizers import AutocastOptimWrapper
from mmdfkd.registry import MODELS
from tests.conftest import ROOT, distiller_cfg, load_cfg
from tests.process import run_bounded

CPU_AMP = dict(type='mmdfkd.AutocastOptimWrapper', dtype='bfloat16')


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)


def single_cfg(**wrapper) -> Config:
    return Config(
        dict(
            optim_wrapper=dict(
                optimizer=dict(type='SGD', lr=0.1), **wrapper)))


# ------------------------------------------------------------- enable_amp
@pytest.mark.parametrize('explicit_type', [False, True])
def test_single_optimizer_cpu(no_cuda, explicit_type):
    cfg = single_cfg(**(dict(type='OptimWrapper') if explicit_type else {}))
    enable_amp(cfg)
    wrapper = cfg.optim_wrapper
    assert wrapper.type == CPU_AMP['type']
    assert wrapper.dtype == 'bfloat16'
    assert wrapper.optimizer == dict(type='SGD', lr=0.1)
    assert 'loss_scale' not in wrapper


def test_single_optimizer_gpu(fake_cuda):
    cfg = single_cfg(clip_grad=dict(max_norm=1.0))
    enable_amp(cfg)
    wrapper = cfg.optim_wrapper
    assert wrapper.type == 'AmpOptimWrapper'
    assert wrapper.loss_scale == 'dynamic'
    assert 'dtype' not in wrapper
    # other settings survive
    assert wrapper.clip_grad == dict(max_norm=1.0)
    assert wrapper.optimizer.type == 'SGD'


@pytest.mark.parametrize('config', [
    'configs/dfad_digits.py', 'configs/dfq_digits.py',
    'configs/dafl_digits.py', 'configs/zskt_digits.py'
])
def test_multi_optimizer_cpu(no_cuda, config):
    cfg = load_cfg(config)
    optimizers = {
        k: v.optimizer.to_dict()
        for k, v in cfg.optim_wrapper.items() if k != 'constructor'
    }
    enable_amp(cfg)
    optim = cfg.optim_wrapper
    assert optim.constructor == 'MultiOptimWrapperConstructor'
    assert set(optim) == {'constructor', 'generator', 'student'}
    for key in ('generator', 'student'):
        assert optim[key].type == CPU_AMP['type'], key
        assert optim[key].dtype == 'bfloat16'
        assert optim[key].optimizer.to_dict() == optimizers[key]


def test_multi_optimizer_gpu(fake_cuda):
    cfg = load_cfg('configs/dfad_digits.py')
    enable_amp(cfg)
    for key in ('generator', 'student'):
        assert cfg.optim_wrapper[key].type == 'AmpOptimWrapper', key
        assert cfg.optim_wrapper[key].loss_scale == 'dynamic'
    assert cfg.optim_wrapper.constructor == 'MultiOptimWrapperConstructor'


def test_mixed_precision_types_are_kept(no_cuda):
    cfg = load_cfg('configs/dfad_digits.py')
    cfg.optim_wrapper.generator.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.generator.loss_scale = 512.
    enable_amp(cfg)
    assert cfg.optim_wrapper.generator.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.generator.loss_scale == 512.
    assert cfg.optim_wrapper.student.type == CPU_AMP['type']
    # idempotent
    before = cfg.optim_wrapper.to_dict()
    enable_amp(cfg)
    assert cfg.optim_wrapper.to_dict() == before


@pytest.mark.parametrize('multi', [False, True])
def test_custom_wrapper_type_raises(no_cuda, multi):
    if multi:
        cfg = load_cfg('configs/dfad_digits.py')
        cfg.optim_wrapper.student.type = 'MyOptimWrapper'
    else:
        cfg = single_cfg(type='MyOptimWrapper')
    with pytest.raises(ValueError, match='MyOptimWrapper'):
        enable_amp(cfg)


def test_amp_multi_optimizer_config_builds(no_cuda, teacher_cfg,
                                           student_cfg):
    """The rewritten multi-optimiser config builds one bf16 autocast
    wrapper per network."""
    cfg = load_cfg('configs/dfad_digits.py')
    enable_amp(cfg)
    model = MODELS.build(distiller_cfg(teacher_cfg, student_cfg))
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'generator', 'student'}
    for wrapper in wrappers.values():
        assert type(wrapper) is AutocastOptimWrapper
        assert wrapper.cast_dtype is torch.bfloat16


def test_amp_gpu_config_builds_amp_wrapper(fake_cuda):
    """On 'CUDA', the single-optimiser config names mmengine's
    AmpOptimWrapper (built here only as far as the registry lookup)."""
    from mmengine.registry import OPTIM_WRAPPERS
    cfg = single_cfg()
    enable_amp(cfg)
    assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is AmpOptimWrapper


# ------------------------------------------------------- AutocastOptimWrapper
def test_autocast_wrapper_train_step_cpu():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    wrapper = AutocastOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    assert wrapper.cast_dtype is torch.bfloat16
    x = torch.randn(5, 4)
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(x)
        assert out.dtype is torch.bfloat16
        loss = out.float().pow(2).mean()
    wrapper.update_params(loss)
    # outside the context: plain fp32 again, fp32 master weights updated
    assert model(x).dtype is torch.float32
    assert model[0].weight.dtype is torch.float32
    assert not torch.equal(model[0].weight, before)
    assert model[0].weight.grad is None or not model[0].weight.grad.any()


def test_autocast_wrapper_dtype_argument_and_registry():
    from mmengine.registry import OPTIM_WRAPPERS
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert AutocastOptimWrapper(
        optimizer=opt, dtype=torch.float16).cast_dtype is torch.float16
    built = OPTIM_WRAPPERS.build(
        dict(type='mmdfkd.AutocastOptimWrapper', optimizer=opt))
    assert type(built) is AutocastOptimWrapper
    with built.optim_context(model):
        assert model(torch.randn(1, 2)).dtype is torch.bfloat16


def test_autocast_wrapper_parameterless_module():
    wrapper = AutocastOptimWrapper(
        optimizer=torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1))
    with wrapper.optim_context(nn.ReLU()):
        out = torch.randn(2, 2) @ torch.randn(2, 2)
    assert out.dtype is torch.bfloat16


# ------------------------------------------------------------- train.py --amp
def test_train_py_amp_run(trained_teacher, tmp_path):
    work_dir = tmp_path / 'amp'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = run_bounded(
        [
            sys.executable, 'tools/train.py', 'configs/dfad_digits.py',
            '--amp', '--work-dir',
            str(work_dir), '--cfg-options',
            f'model.teacher_ckpt={trained_teacher}', 'train_cfg.max_iters=3',
            'train_dataloader.batch_size=16', 'train_cfg.val_interval=1000',
            'default_hooks.logger.interval=1'
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    if torch.cuda.is_available():
        assert '--amp: optimiser wrappers use AmpOptimWrapper' in out
    else:
        assert ('--amp: optimiser wrappers use mmdfkd.AutocastOptimWrapper'
                in out)
    # the dumped config uses the wrapper for both networks
    dumped = Config.fromfile(str(work_dir / 'dfad_digits.py'))
    types = {dumped.optim_wrapper[k].type for k in ('generator', 'student')}
    assert types == ({'AmpOptimWrapper'} if torch.cuda.is_available() else
                     {'mmdfkd.AutocastOptimWrapper'})
    scalars = glob.glob(
        osp.join(str(work_dir), '*', 'vis_data', 'scalars.json'))
    assert len(scalars) == 1
    with open(scalars[0]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    train_rows = [r for r in rows if 'student.loss' in r]
    assert [r['iter'] for r in train_rows] == [1, 2, 3]
    for row in train_rows:
        for key in ('student.loss', 'generator.loss'):
            assert math.isfinite(row[key]), row
        assert 'student.skipped' not in row and 'generator.skipped' not in row
    assert osp.isfile(work_dir / 'iter_3.pth')
