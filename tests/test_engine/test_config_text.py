"""FormatOnceConfig: MMEngine's laid-out config text, computed once per
content; build_runner hands it to the runner, whose log, work-dir copy and
checkpoints read it."""
import copy
import os.path as osp

import mmengine.config.config as mmengine_config
import pytest
import torch
from mmengine.config import Config

from mmdfkd.engine import build_runner
from mmdfkd.engine.config_text import FormatOnceConfig
from tests.conftest import load_cfg


@pytest.fixture
def layouts(monkeypatch):
    """The texts yapf is asked to lay out, in order."""
    calls = []
    format_code = mmengine_config.FormatCode

    def counted(text, **kwargs):
        calls.append(text)
        return format_code(text, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', counted)
    return calls


def test_text_is_mmengines_and_laid_out_once_per_content(layouts):
    cfg = load_cfg('configs/dfad_digits.py')
    expected = cfg.pretty_text
    assert len(layouts) == 1
    once = FormatOnceConfig.of(cfg)
    assert once.pretty_text == expected
    # copies (the runner deep-copies its config) and the dump share it
    assert copy.deepcopy(once).pretty_text == expected
    assert once.dump() == expected
    assert len(layouts) == 2
    assert (once.filename, once.text) == (cfg.filename, cfg.text)
    # a changed config is laid out again, and says the change
    once.train_cfg.max_iters = 7
    changed = once.pretty_text
    assert len(layouts) == 3
    assert changed != expected and 'max_iters=7' in changed
    assert changed == Config(once.to_dict()).pretty_text


def test_runner_gets_it_and_writes_the_same_text(tmp_path, layouts):
    cfg = load_cfg('configs/teachers/digits_convnet.py')
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.dataset.indices = 32
    expected = Config(cfg.to_dict()).pretty_text
    layouts.clear()
    runner = build_runner(cfg)
    runner.train()
    assert isinstance(runner.cfg, FormatOnceConfig)
    # the log, the work dir's and the visualizer's copies, the runtime
    # info and the checkpoint: one layout
    assert len(layouts) == 1
    dumped = osp.join(tmp_path, 'digits_convnet.py')
    with open(dumped) as f:
        assert f.read() == expected
    ckpt = torch.load(osp.join(tmp_path, 'epoch_1.pth'), weights_only=False)
    assert ckpt['meta']['cfg'] == expected
