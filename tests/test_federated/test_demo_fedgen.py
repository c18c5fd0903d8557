"""tools/demo_fedgen.py on tiny settings: Fashion-MNIST when its files
are there (tiny IDX files here), digits otherwise; the summary's keys and
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


TINY = ['rounds=2', 'local.steps=3', 'server.gen_steps=2',
        'partition.num_clients=3', 'partition.min_size=5']


def test_demo_on_fashion_mnist(demo, fashion_root, tmp_path):
    summary = demo.main([
        '--config', demo.FASHION, '--work-dir', str(tmp_path), '--seeds',
        '0', '1', '--workers', '2', '--cfg-options',
        f'data.root={fashion_root}', *TINY
    ])
    on_disk = json.loads((tmp_path / 'summary.json').read_text())
    assert on_disk == json.loads(json.dumps(summary))
    assert summary['dataset'] == 'fashion_mnist' and summary['alpha'] == 0.1
    assert summary['seeds'] == [0, 1] and summary['rounds'] == 2
    for method in ('fedgen', 'fedavg'):
        runs = summary['per_seed'][method]
        assert [r['seed'] for r in runs] == [0, 1]
        assert all(len(r['val_curve']) == 2 for r in runs)
        accs = [r['test_accuracy'] for r in runs]
        assert summary[f'{method}_accuracy'] == pytest.approx(sum(accs) / 2)
        # sample std of two values: |a - b| / √2
        assert summary[f'{method}_std'] == pytest.approx(
            abs(accs[0] - accs[1]) / 2**0.5)
    assert summary['reported_model'].startswith('final global model')
    # a second call with the same config reuses the finished runs
    again = demo.main([
        '--config', demo.FASHION, '--work-dir', str(tmp_path), '--seeds',
        '0', '1', '--workers', '1', '--cfg-options',
        f'data.root={fashion_root}', *TINY
    ])
    assert again['per_seed'] == summary['per_seed']


def test_demo_falls_back_to_digits(demo, monkeypatch, tmp_path):
    # Fashion-MNIST's files are missing from the configured root
    fashion = tmp_path / 'fashion.py'
    fashion.write_text(f'_base_ = [{demo.FASHION!r}]\n'
                       f"data = dict(root='{tmp_path / 'missing'}')\n")
    monkeypatch.setattr(demo, 'FASHION', str(fashion))
    config, note = demo.pick_config()
    assert config == demo.DIGITS
    assert 'DIGITS' in note and 'make data-fashion-mnist' in note
    summary = demo.main(['--work-dir', str(tmp_path / 'w'), '--seeds', '0',
                         '--workers', '1', '--cfg-options', *TINY])
    assert summary['dataset'] == 'digits' and summary['fedavg_std'] == 0.0
    assert 'DIGITS' in summary['note']
