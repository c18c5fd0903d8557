"""Every distillation config knows its teacher: `teacher_config` names the
teacher's training config, `python tools/train.py <teacher_config>` writes
exactly the file `model.teacher_ckpt` reads, and that config trains the
architecture the distiller builds as its teacher."""
import functools
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdfkd.engine.preflight import check_teacher_checkpoint
from mmdfkd.models.algorithms.networks import build_network
from tests.conftest import ROOT

CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs/*.py')))


def distillation_configs():
    out = []
    for path in CONFIGS:
        cfg = Config.fromfile(osp.join(ROOT, path))
        if cfg.get('model', {}).get('teacher_ckpt') is not None:
            out.append((path, cfg))
    return out


DISTILLATION = distillation_configs()


def test_every_distillation_config_is_checked():
    names = {osp.basename(p) for p, _ in DISTILLATION}
    assert len(DISTILLATION) == len(CONFIGS) == 57
    assert {'dfq_digits.py', 'kd_digits.py', 'ddad_deeplabv3_camvid.py',
            'cmi_wrn40_2_wrn16_1_cifar100.py',
            'rdskd_lenet5_mnist.py'} <= names


@pytest.mark.parametrize('path,cfg', DISTILLATION,
                         ids=[p for p, _ in DISTILLATION])
def test_teacher_ckpt_is_what_the_teacher_config_writes(path, cfg):
    teacher_config = cfg.get('teacher_config')
    assert teacher_config, f'{path} names no teacher_config'
    assert osp.isfile(osp.join(ROOT, teacher_config)), teacher_config
    stem = osp.splitext(osp.basename(teacher_config))[0]
    assert cfg.model.teacher_ckpt == f'work_dirs/{stem}/teacher.pth'
    assert dict(type='mmdfkd.TeacherExportHook') in teacher_cfg(
        teacher_config).custom_hooks


@functools.lru_cache(maxsize=None)
def teacher_cfg(path: str) -> Config:
    return Config.fromfile(osp.join(ROOT, path))


def _shapes(network_cfg):
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        net = build_network(network_cfg, 'teacher')
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


def _pairs():
    """Distinct (teacher config, distiller's teacher) pairs."""
    seen, out = set(), []
    for path, cfg in DISTILLATION:
        teacher = cfg.model.teacher
        key = (cfg.teacher_config,
               teacher if isinstance(teacher, str) else repr(teacher))
        if key not in seen:
            seen.add(key)
            out.append((path, cfg.teacher_config, teacher))
    return out


@pytest.mark.parametrize('path,teacher_config,teacher', _pairs(),
                         ids=[p for p, _, _ in _pairs()])
def test_teacher_config_trains_the_distillers_teacher(path, teacher_config,
                                                      teacher):
    """Same parameter names and shapes: the exported weights load strictly
    into the distiller's teacher."""
    assert _shapes(osp.join(ROOT, teacher_config)) == _shapes(teacher)


def test_missing_teacher_names_the_exact_command(tmp_path, monkeypatch):
    """The message used to show `configs/teachers/<config>.py` and a file
    that command never wrote."""
    monkeypatch.chdir(tmp_path)  # a fresh clone: no work_dirs
    cfg = Config.fromfile(osp.join(ROOT, 'configs/dfq_digits.py'))
    with pytest.raises(FileNotFoundError) as info:
        check_teacher_checkpoint(cfg)
    text = str(info.value)
    assert '<config>' not in text
    assert ('Train its teacher first:\n'
            '    python tools/train.py configs/teachers/digits_convnet.py\n'
            '(it writes work_dirs/digits_convnet/teacher.pth)') in text

    cfg.model.teacher_ckpt = 'elsewhere/epoch_30.pth'
    with pytest.raises(FileNotFoundError) as info:
        check_teacher_checkpoint(cfg)
    assert ('python tools/train.py configs/teachers/digits_convnet.py '
            '--work-dir elsewhere\n(it writes elsewhere/teacher.pth; then '
            'pass --cfg-options model.teacher_ckpt=elsewhere/teacher.pth)'
            ) in str(info.value)


def test_segmentation_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/ddad_deeplabv3_camvid.py'))
    with pytest.raises(FileNotFoundError,
                       match=r'python tools/train.py configs/teachers/'
                       r'deeplabv3_r50-d8_camvid.py\n\(it writes '
                       r'work_dirs/deeplabv3_r50-d8_camvid/teacher.pth\)'):
        check_teacher_checkpoint(cfg)
