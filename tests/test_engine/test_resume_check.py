"""check_resumable: --resume refuses a checkpoint of another model or other
optimiser types, reading the saved config text without executing it."""
import importlib.util
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmdfkd.compat.checkpoint import UntrustedCheckpointError
from mmdfkd.engine import check_resumable
from mmdfkd.engine import resume as resume_module
from mmdfkd.engine.amp import enable_amp
from mmdfkd.engine.resume import (ResumeConfigMismatchError,
                                  config_differences, parse_config_text)
from tests.conftest import ROOT, load_cfg

DFQ = 'configs/dfq_digits.py'


def write_run(work_dir, cfg_text, name='iter_6.pth', **extra):
    """A work dir whose last checkpoint was written with ``cfg_text``."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(str(work_dir), name)
    meta = dict(iter=6, epoch=0)
    if cfg_text is not None:
        meta['cfg'] = cfg_text
    torch.save(dict(meta=meta, state_dict={'w': torch.zeros(2)}, **extra),
               path)
    with open(osp.join(str(work_dir), 'last_checkpoint'), 'w') as f:
        f.write(path)
    return path


@pytest.fixture(scope='module')
def dfq_text():
    return load_cfg(DFQ).pretty_text


def test_same_config_resumes(tmp_path, dfq_text):
    write_run(tmp_path, dfq_text)
    cfg = load_cfg(DFQ)
    # run settings, the teacher weights' path and --amp do not matter
    cfg.merge_from_dict({'train_cfg.max_iters': 7,
                         'train_dataloader.batch_size': 8,
                         'model.teacher_ckpt': '/elsewhere/teacher.pth',
                         'optim_wrapper.student.optimizer.lr': 0.5})
    enable_amp(cfg)
    check_resumable(str(tmp_path), cfg)


def test_other_model_fails_naming_keys(tmp_path, dfq_text):
    write_run(tmp_path, dfq_text)
    cfg = load_cfg('configs/dfad_digits.py')
    with pytest.raises(ResumeConfigMismatchError) as info:
        check_resumable(str(tmp_path), cfg)
    msg = str(info.value)
    assert 'model.generator_losses.adv.type' in msg
    assert "'AdversarialKLLoss' in the checkpoint" in msg
    assert "'AdversarialL1Loss' now" in msg
    assert 'model.generator_losses.bn' in msg
    assert 'model.student_losses.kd.type' in msg
    assert '--work-dir' in msg
    assert 'configuration the checkpoint was written with' in msg


def test_other_width_and_optimiser_type_fail(tmp_path, dfq_text):
    write_run(tmp_path, dfq_text)
    cfg = load_cfg(DFQ)
    cfg.model.student.backbone.widths = (8, 16, 32)
    cfg.optim_wrapper.student.optimizer = dict(type='Adam', lr=1e-3)
    with pytest.raises(ResumeConfigMismatchError) as info:
        check_resumable(str(tmp_path), cfg)
    msg = str(info.value)
    assert ('model.student.backbone.widths: [16, 32, 64] in the checkpoint'
            in msg)
    assert ("optim_wrapper.student.optimizer.type: 'SGD' in the checkpoint, "
            "'Adam' now") in msg
    assert '2 difference(s)' in msg


def test_single_optimiser_configs():
    old = Config(dict(model=dict(type='A'),
                      optim_wrapper=dict(optimizer=dict(type='SGD'))))
    new = Config(dict(model=dict(type='A'),
                      optim_wrapper=dict(optimizer=dict(type='AdamW'))))
    assert config_differences(old.pretty_text, new) == [
        ('optim_wrapper.optimizer.type', 'SGD', 'AdamW')]
    assert config_differences(old.pretty_text, old) == []


def test_no_saved_config_is_not_checked(tmp_path):
    write_run(tmp_path, None)
    check_resumable(str(tmp_path), load_cfg(DFQ))


def test_missing_checkpoint_still_fails_first(tmp_path):
    with pytest.raises(FileNotFoundError, match='no checkpoint'):
        check_resumable(str(tmp_path), load_cfg(DFQ))


def test_empty_last_checkpoint_says_what_to_do(tmp_path):
    """A run killed while MMEngine rewrites ``last_checkpoint``."""
    (tmp_path / 'last_checkpoint').write_text('')
    with pytest.raises(FileNotFoundError, match='is empty') as info:
        check_resumable(str(tmp_path))
    assert 'iter_<N>.pth' in str(info.value)


def test_load_from_is_the_checkpoint_resumed(tmp_path, dfq_text):
    """MMEngine resumes from ``load_from`` when it is set with --resume."""
    path = write_run(tmp_path / 'other', dfq_text)
    cfg = load_cfg('configs/dfad_digits.py')
    cfg.load_from = path
    with pytest.raises(ResumeConfigMismatchError, match='iter_6.pth'):
        check_resumable(str(tmp_path / 'empty'), cfg)
    cfg.load_from = str(tmp_path / 'nowhere.pth')
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        check_resumable(str(tmp_path / 'empty'), cfg)
    cfg.load_from = 'https://example.com/iter_6.pth'  # left to MMEngine
    check_resumable(str(tmp_path / 'empty'), cfg)


def test_loads_mapped_and_weights_only(tmp_path, dfq_text, monkeypatch):
    write_run(tmp_path, dfq_text)
    seen = []
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(resume_module.torch, 'load', spy)
    check_resumable(str(tmp_path), load_cfg(DFQ))
    assert seen and seen[0]['weights_only'] is True and seen[0]['mmap']


def test_legacy_format_falls_back(tmp_path, dfq_text):
    """Files in torch's old (non-zip) format cannot be memory-mapped."""
    path = tmp_path / 'iter_1.pth'
    torch.save(dict(meta=dict(cfg=dfq_text)), path,
               _use_new_zipfile_serialization=False)
    (tmp_path / 'last_checkpoint').write_text(str(path))
    with pytest.raises(ResumeConfigMismatchError):
        check_resumable(str(tmp_path), load_cfg('configs/dfad_digits.py'))


class Payload:
    """Unpickling this would run code (creates a file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_pickle_payload_is_refused_not_run(tmp_path, dfq_text):
    marker = tmp_path / 'pwned'
    write_run(tmp_path, dfq_text, extra=Payload(str(marker)))
    with pytest.raises(UntrustedCheckpointError):
        check_resumable(str(tmp_path), load_cfg(DFQ))
    assert not marker.exists()


def test_saved_config_text_is_not_executed(tmp_path):
    marker = tmp_path / 'pwned'
    text = (f"model = open({str(marker)!r}, 'w')\n"
            "optim_wrapper = dict(optimizer=dict(type='SGD'))\n")
    parsed = parse_config_text(text)
    assert not marker.exists()
    assert repr(parsed['model']).startswith('open(')
    write_run(tmp_path, text)
    cfg = Config(dict(model=dict(type='A'),
                      optim_wrapper=dict(optimizer=dict(type='SGD'))))
    with pytest.raises(ResumeConfigMismatchError, match=r'model: open\('):
        check_resumable(str(tmp_path), cfg)
    assert not marker.exists()


def test_train_py_fails_before_building_the_runner(tmp_path, dfq_text,
                                                   monkeypatch,
                                                   trained_teacher):
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_train_resume', osp.join(ROOT, 'tools', 'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    work_dir = tmp_path / 'run'
    write_run(work_dir, dfq_text)
    before = sorted(os.listdir(work_dir))
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr('sys.argv', [
        'train.py', 'configs/dfad_digits.py', '--resume', '--work-dir',
        str(work_dir), '--cfg-options', f'model.teacher_ckpt={trained_teacher}'
    ])
    monkeypatch.chdir(ROOT)
    with pytest.raises(ResumeConfigMismatchError,
                       match='model.generator_losses.adv.type'):
        train.main()
    assert sorted(os.listdir(work_dir)) == before  # no runner, no logs
