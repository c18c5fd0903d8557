"""network_cfg: a network given as a config path is parsed once per
version of its file, and callers get copies of its model."""
import os
import time

import pytest
from mmengine.config import Config

from mmdfkd.models.algorithms.networks import network_cfg

CONFIG = """
default_scope = 'mmpretrain'
model = dict(type='ImageClassifier', head=dict(num_classes={n}))
data_preprocessor = dict(mean=[0.5], std=[0.5])
"""


@pytest.fixture
def parses(monkeypatch):
    """The config files parsed, in order."""
    calls = []
    fromfile = Config.fromfile

    def counted(path, *args, **kwargs):
        calls.append(str(path))
        return fromfile(path, *args, **kwargs)

    monkeypatch.setattr(Config, 'fromfile', counted)
    return calls


def test_a_file_is_parsed_once_per_version(tmp_path, parses, monkeypatch):
    path = tmp_path / 'net.py'
    path.write_text(CONFIG.format(n=7))
    first = network_cfg(str(path))
    assert first['head']['num_classes'] == 7
    assert first['_scope_'] == 'mmpretrain'
    assert first['data_preprocessor']['mean'] == [0.5]
    first['head']['num_classes'] = 99  # a caller's edit stays its own
    assert network_cfg(str(path))['head']['num_classes'] == 7
    monkeypatch.chdir(tmp_path)  # the same file by a relative path
    assert network_cfg('net.py')['head']['num_classes'] == 7
    assert len(parses) == 2  # one per spelling of the path
    # a rewritten file is read again
    path.write_text(CONFIG.format(n=3))
    later = time.time() + 5
    os.utime(path, (later, later))
    assert network_cfg(str(path))['head']['num_classes'] == 3
    assert len(parses) == 3


def test_a_missing_file_and_a_config_without_model(tmp_path):
    with pytest.raises(FileNotFoundError):
        network_cfg(str(tmp_path / 'absent.py'))
    path = tmp_path / 'no_model.py'
    path.write_text('x = 1\n')
    with pytest.raises(ValueError, match='defines no `model`'):
        network_cfg(str(path))
