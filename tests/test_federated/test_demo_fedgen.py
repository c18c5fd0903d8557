"""tools/demo_fedgen.py on a tiny setting: the summary's keys and
figures."""
import importlib.util
import json
import os.path as osp

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope='module')
def demo():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_demo_fedgen', osp.join(ROOT, 'tools', 'demo_fedgen.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_writes_the_summary(demo, tmp_path):
    summary = demo.main([
        '--work-dir',
        str(tmp_path), '--seeds', '0', '1', '--cfg-options', 'rounds=2',
        'local.steps=3', 'server.gen_steps=2', 'partition.num_clients=3'
    ])
    on_disk = json.loads((tmp_path / 'summary.json').read_text())
    assert on_disk == summary
    assert summary['seeds'] == [0, 1] and summary['rounds'] == 2
    for method in ('fedgen', 'fedavg'):
        runs = summary['per_seed'][method]
        assert [r['seed'] for r in runs] == [0, 1]
        assert all(len(r['val_curve']) == 2 for r in runs)
        mean = sum(r['test_accuracy'] for r in runs) / 2
        assert summary[f'{method}_accuracy'] == pytest.approx(mean)
        assert 0 <= summary[f'{method}_accuracy'] <= 100
    assert summary['reported_model'].startswith('final global model')
