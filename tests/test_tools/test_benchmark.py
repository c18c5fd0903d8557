"""tools/benchmark.py on a tiny setting (the digits recipes, batch 4):
the JSON schema, and ratios computed from the measured samples."""
import importlib.util
import json
import os.path as osp
import statistics

import pytest

from tests.conftest import ROOT

CONFIGS = [f'configs/{m}_digits.py' for m in ('dfad', 'deepinv', 'cmi',
                                              'fast')]


@pytest.fixture(scope='module')
def result(tmp_path_factory):
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_benchmark', osp.join(ROOT, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp('bench') / 'bench.json'
    module.main(['--configs', *CONFIGS, '--batch', '4', '--repeats', '3',
                 '--threads', '1', '--bank-sizes', '64', '640',
                 '--out', str(out)])
    with open(out) as f:
        return json.load(f)


def test_one_entry_per_synthesizer_and_student(result):
    names = [e['name'] for e in result['entries']]
    assert sorted(names) == sorted([
        'GeneratorSynthesizer', 'student_online', 'PixelSynthesizer',
        'student', 'ContrastiveSynthesizer', 'MetaSynthesizer'
    ])
    for e in result['entries']:
        for key in ('ms_per_iter', 'floor_ms', 'ratio_to_floor'):
            assert isinstance(e[key], float) and e[key] > 0, (e['name'], key)
        assert e['peak_mem_mb'] is None or isinstance(e['peak_mem_mb'],
                                                      float)
        assert e['floor']  # what the floor runs, in words
        assert len(e['samples_ms']['method']) == 3


def test_ratios_come_from_the_samples(result):
    for e in result['entries']:
        s = e['samples_ms']
        floor = statistics.median(s['floor'])
        if s['method_lo'] is None:  # a step timed directly
            method = statistics.median(s['method'])
        else:  # a round of 2 inner steps minus a round of 1
            method = (statistics.median(s['method']) -
                      statistics.median(s['method_lo']))
        assert e['floor_ms'] == pytest.approx(floor)
        assert e['ms_per_iter'] == pytest.approx(method)
        assert e['ratio_to_floor'] == pytest.approx(method / floor)
        lo = s['method_lo'] or [0.0] * 3
        paired = statistics.median(
            (m - l) / f for m, l, f in zip(s['method'], lo, s['floor']))
        assert e['ratio_paired'] == pytest.approx(paired)


def test_bank_sizes_setting_and_machine(result):
    assert [b['size'] for b in result['memory_bank']] == [64, 640]
    assert all(b['ms_per_step'] > 0 for b in result['memory_bank'])
    cmi = [e for e in result['entries']
           if e['name'] == 'ContrastiveSynthesizer'][0]
    assert cmi['num_negatives'] == result['memory_bank'][0]['num_negatives']
    assert result['setting']['batch'] == 4
    assert result['machine']['threads'] == 1
    assert 'load average' in result['load']['before']
    assert result['elapsed_s'] > 0


def test_amp_and_channels_last_options(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_benchmark', osp.join(ROOT, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main([
        '--configs', 'configs/deepinv_digits.py', '--batch', '2',
        '--repeats', '1', '--warmup', '0', '--bank-sizes', '64', '--amp',
        '--channels-last'
    ])
    assert result['setting']['amp'] and result['setting']['channels_last']
    assert [e['name'] for e in result['entries']] == [
        'PixelSynthesizer', 'student'
    ]
