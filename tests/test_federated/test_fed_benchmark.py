"""The benchmark grid and its report (mmdfkd.federated.benchmark and
tools/fed_benchmark.py) on tiny settings."""
import importlib.util
import json
import os.path as osp

import pytest

from mmdfkd.federated import benchmark
from mmdfkd.federated.benchmark import gap, mean_std, summarise
from tests.conftest import ROOT


def test_mean_std_and_gap_against_hand_computations():
    assert mean_std([1.0, 2.0, 6.0]) == dict(mean=3.0, std=pytest.approx(
        7**0.5), n=3)  # sample variance (4 + 1 + 9) / 2 = 7
    assert mean_std([5.0])['std'] == 0.0
    gen = dict(mean_std([80.0, 82.0, 84.0]),
               per_seed={'0': 80.0, '1': 82.0, '2': 84.0})
    avg = dict(mean_std([78.0, 77.0, 79.0]),
               per_seed={'0': 78.0, '1': 77.0, '2': 79.0})
    g = gap(gen, avg, 'test')
    # gap 4, larger std 2: 4 > 2·2 fails (not strictly more)
    assert g['gap'] == pytest.approx(4.0) and g['two_std'] == 4.0
    assert not g['beats_by_two_std']
    # paired differences 2, 5, 5: mean 4, std √3, 4 > 2√3
    assert g['paired_diffs'] == [2.0, 5.0, 5.0]
    assert g['paired_two_std'] == pytest.approx(2 * 3**0.5)
    assert g['paired_beats_by_two_std']


def test_summarise_groups_by_alpha_and_method():
    records = [
        dict(method=m, alpha=a, seed=s, val_accuracy=v, test_accuracy=v + 1)
        for (m, a, s, v) in [('fedavg', 0.1, 0, 50.0), ('fedavg', 0.1, 1,
                                                          52.0),
                             ('fedgen', 0.1, 0, 60.0), ('fedgen', 0.1, 1,
                                                          64.0),
                             ('fedavg', 1.0, 0, 90.0)]
    ]
    table = summarise(records, [0.1], ['fedavg', 'fedgen'], ['val', 'test'])
    row = table['0.1']
    assert row['fedavg']['test']['mean'] == 52.0
    assert row['fedgen']['val']['per_seed'] == {'0': 60.0, '1': 64.0}
    assert row['fedgen_vs_fedavg']['gap'] == pytest.approx(11.0)
    assert row['fedgen_vs_fedavg']['split'] == 'test'
    assert 'last10' not in row['fedavg']['test']  # no curves kept


def test_last_rounds_mean_from_the_curves():
    curve = list(range(20))  # the last ten rounds: 10..19, mean 14.5
    records = [
        dict(method='fedavg', alpha=0.1, seed=s, test_accuracy=19.0,
             curves=dict(test=[c + s for c in curve])) for s in (0, 2)
    ]
    cell = summarise(records, [0.1], ['fedavg'], ['test'])['0.1']
    last = cell['fedavg']['test']['last10']
    assert last['mean'] == pytest.approx(15.5)  # (14.5 + 16.5) / 2
    assert last['std'] == pytest.approx(2**0.5)


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_fed_benchmark',
        osp.join(ROOT, 'tools', 'fed_benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grid_writes_runs_table_and_plots_then_resumes(
        fashion_root, tmp_path, monkeypatch):
    args = [
        '--work-dir', str(tmp_path), '--alphas', '0.5', '1.0', '--seeds',
        '0', '1', '--cfg-options', f'data.root={fashion_root}', 'rounds=2',
        'local.steps=2', 'server.gen_steps=2', 'partition.num_clients=3',
        'partition.min_size=5'
    ]
    tool = load_tool()
    summary = tool.main(args)
    runs = sorted(p.name for p in (tmp_path / 'runs').iterdir())
    assert len(runs) == 2 * 2 * 3 and 'fedprox_alpha0.5_seed1.json' in runs
    record = json.loads((tmp_path / 'runs' / 'fedgen_alpha1_seed0.json')
                        .read_text())
    assert len(record['curves']['test']) == 2
    assert record['curves']['test'][-1] == round(record['test_accuracy'], 2)
    assert record['round_metrics'][1]['train_loss_latent'] > 0
    cell = summary['table']['0.5']['fedprox']['test']
    seeds = [json.loads((tmp_path / 'runs' / f'fedprox_alpha0.5_seed{s}'
                         '.json').read_text())['test_accuracy']
             for s in (0, 1)]
    assert cell['mean'] == pytest.approx(sum(seeds) / 2)
    table = (tmp_path / 'results.md').read_text()
    assert '| 0.5 | ' in table and 'FedProx, last 10 rounds' in table
    for alpha in ('0.5', '1'):
        png = tmp_path / f'curves_alpha{alpha}.png'
        assert png.read_bytes()[:4] == b'\x89PNG'
    # a second call finds every run done: nothing is trained again
    monkeypatch.setattr(benchmark, 'run_record', lambda *a: 1 / 0)
    again = tool.main(args)
    assert again['table'] == json.loads(json.dumps(summary['table']))
    # another config re-runs (here: it would fail loudly)
    with pytest.raises(ZeroDivisionError):
        tool.main(args + ['local.lr=0.01'])
