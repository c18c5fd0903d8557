"""build_runner: load_from and resume checkpoints load strictly (MMEngine
loads both with strict=False: a checkpoint of another architecture loaded
partially, with a 'size mismatch' line in the log)."""
import pytest
import torch

from mmdfkd.engine import CheckpointMismatchError, build_runner
from mmdfkd.registry import MODELS
from tests.conftest import load_cfg


def teacher_cfg(work_dir, **model):
    cfg = load_cfg('configs/teachers/digits_convnet.py')
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict({f'model.{k}': v for k, v in model.items()})
    return cfg


def save_weights(cfg, path, **extra):
    state = MODELS.build(cfg.model).state_dict()
    torch.save(dict(state_dict=state, **extra), path)
    return state


def test_load_from_of_another_architecture_is_refused(tmp_path):
    narrow = teacher_cfg(tmp_path / 'a', **{'backbone.widths': (16, 32, 48),
                                           'head.in_channels': 48})
    path = str(tmp_path / 'narrow.pth')
    save_weights(narrow, path)
    cfg = teacher_cfg(tmp_path / 'b')
    cfg.load_from = path
    with pytest.raises(CheckpointMismatchError,
                       match='(?s)narrow.pth does not fit.*size mismatch'):
        build_runner(cfg)


def test_load_from_that_fits_is_loaded(tmp_path):
    cfg = teacher_cfg(tmp_path / 'run')
    path = str(tmp_path / 'same.pth')
    state = save_weights(cfg, path)
    cfg.load_from = path
    runner = build_runner(cfg)
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_resume_from_a_partial_checkpoint_is_refused(tmp_path):
    cfg = teacher_cfg(tmp_path / 'run')
    (tmp_path / 'run').mkdir()
    ckpt = tmp_path / 'run' / 'epoch_1.pth'
    state = MODELS.build(cfg.model).state_dict()
    state.pop('head.fc.bias')
    torch.save(dict(state_dict=state, meta=dict(epoch=1, iter=10)), ckpt)
    (tmp_path / 'run' / 'last_checkpoint').write_text(str(ckpt))
    cfg.resume = True
    with pytest.raises(CheckpointMismatchError,
                       match=r'epoch_1.pth does not fit.*1 missing keys'):
        build_runner(cfg)
