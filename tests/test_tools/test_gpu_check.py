"""tools/gpu_check.sh --dry-run: every part of the prepared GPU check on
the CPU at tiny sizes, and the JSON and Markdown it writes."""
import importlib.util
import json
import math
import os.path as osp
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.process import run_bounded
from tests.tool_runs import python_and_env

PARTS = ['bench_fp32', 'bench_amp', 'deepinv_r50', 'amp_multi_optim',
         'dist_train', 'camvid']
POOL = ('PixelSynthesizer', 'ContrastiveSynthesizer', 'MetaSynthesizer')


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp('gpu_check')
    python, env = python_and_env()
    proc = run_bounded(
        ['bash', 'tools/gpu_check.sh', '--dry-run', str(out)], cwd=ROOT,
        env=dict(env, PYTHON=python), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-6000:]
    with open(out / 'gpu_check.json') as f:
        data = json.load(f)
    return data, (out / 'gpu_check.md').read_text(), out


def test_every_part_ran(report):
    data, _, out = report
    parts = {p['name']: p for p in data['parts']}
    assert list(parts) == PARTS
    for name, part in parts.items():
        assert part['status'] == 'ok', (name, part.get('error'),
                                        part.get('log_tail'))
        assert part['seconds'] > 0
    assert data['elapsed_s'] <= data['budget_s']
    assert data['machine']['gpu'] is None
    assert data['machine']['mmengine'] == '0.10.7'
    # only the report comes back from a lent machine, not the work dirs
    assert sorted(p.name for p in out.iterdir()) == [
        'gpu_check.json', 'gpu_check.log', 'gpu_check.md']


def test_benchmark_entries_against_floors(report):
    parts = {p['name']: p for p in report[0]['parts']}
    for name in ('bench_fp32', 'bench_amp'):
        entries = {e['name']: e for e in parts[name]['entries']}
        assert sorted(entries) == sorted(
            ['GeneratorSynthesizer', 'student_online', 'student', *POOL])
        for e in entries.values():
            assert e['ms_per_iter'] > 0 and e['floor_ms'] > 0
            assert math.isclose(e['ratio_to_floor'],
                                e['ms_per_iter'] / e['floor_ms'])
            assert e['within_target'] == (e['ratio_paired']
                                          <= e['target'])
        # no host read inside a pool synthesizer's inner loop; one per
        # update elsewhere (the non-finite guard; DFAD's EMA adds two)
        for name_ in POOL:
            assert entries[name_]['syncs_per_iter'] == 0
        assert entries['student']['syncs_per_iter'] == 1
        assert entries['GeneratorSynthesizer']['syncs_per_iter'] == 1
    assert parts['bench_amp']['setting']['amp']
    assert not parts['bench_fp32']['setting']['amp']
    assert parts['bench_fp32']['setting']['channels_last']
    deepinv = {e['name']: e for e in parts['deepinv_r50']['entries']}
    assert deepinv['PixelSynthesizer']['syncs_per_iter'] == 0
    # the GPU run's teacher is ResNet-50; the dry run's a smaller ImageNet
    # network through the same option
    assert parts['deepinv_r50']['setting']['teacher'] == (
        'mmpretrain::resnet/resnet18_8xb32_in1k.py')
    assert parts['deepinv_r50']['setting']['img_size'] == 32


def test_training_parts(report):
    parts = {p['name']: p for p in report[0]['parts']}
    amp = parts['amp_multi_optim']
    assert amp['wrapper'] == 'AutocastOptimWrapper'  # bf16 on a CPU
    assert amp['rounds_logged'] == amp['iterations'] == 3
    assert amp['losses_finite'] and amp['seconds_per_round'] > 0
    dist = parts['dist_train']
    assert dist['backend'] == 'gloo' and dist['rounds_logged'] == 2
    camvid = parts['camvid']
    assert camvid['published_rounds'] == 15000  # 300 epochs of 50 rounds
    assert camvid['batch'] == 64 and camvid['generator_size'] == 128
    assert camvid['rounds_logged'] == camvid['rounds'] == 2
    assert camvid['projected_hours'] == pytest.approx(
        15000 * camvid['seconds_per_round'] / 3600)
    assert camvid['peak_gpu_mem_mb'] is None  # no GPU memory on a CPU
    assert camvid['peak_rss_mb'] > 100


def test_markdown_table(report):
    data, text, _ = report
    for part in data['parts']:
        assert f"| {part['name']} | ok |" in text
    camvid = next(p for p in data['parts'] if p['name'] == 'camvid')
    assert f"{camvid['seconds_per_round']:.3f} s/round" in text
    assert '| PixelSynthesizer |' in text and 'syncs/iter' in text


def test_a_failing_part_is_recorded_and_the_next_runs(tmp_path,
                                                       monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_gpu_check', osp.join(ROOT, 'tools', 'gpu_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def broken(runner, setting):
        res = runner.run('broken', [sys.executable, '-c',
                                    'raise SystemExit(5)'], 30)
        module.checked(res, 'the broken part')

    def slow(runner, setting):
        module.checked(runner.run('slow', [sys.executable, '-c',
                                           'import time; time.sleep(30)'],
                                  1), 'the slow part')

    def fine(runner, setting):
        return dict(value=setting['value'])

    monkeypatch.setattr(module, 'PARTS', dict(broken=broken, slow=slow,
                                              fine=fine))
    runner = module.PartRunner(ROOT, str(tmp_path), 60)
    parts = module.run_parts(runner, dict(value=7))
    assert [(p['name'], p['status']) for p in parts] == [
        ('broken', 'failed'), ('slow', 'timeout'), ('fine', 'ok')]
    assert 'the broken part exited with 5' in parts[0]['error']
    assert 'ran past its limit' in parts[1]['error']
    assert parts[2]['value'] == 7 and 'error' not in parts[2]
