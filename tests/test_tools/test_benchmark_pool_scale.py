"""tools/benchmark.py --pool-scale at tiny sizes: the JSON schema, a
checkpoint whose size does not follow the pool's, and no shard left."""
import importlib.util
import json
import os
import os.path as osp

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope='module')
def result(tmp_path_factory):
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_benchmark', osp.join(ROOT, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tmp = tmp_path_factory.mktemp('pool_scale')
    out = tmp / 'pool_scale.json'
    module.main([
        '--pool-scale', '--pool-sizes', '16', '256', '--pool-image-size',
        '8', '--pool-shard-size', '64', '--pool-cache-images', '32',
        '--pool-read-batch', '8', '--pool-read-batches', '2',
        '--student-batch', '2', '--threads', '1', '--pool-root',
        str(tmp / 'shards'), '--out', str(out)
    ])
    with open(out) as f:
        return json.load(f), tmp / 'shards'


def test_rows_have_the_documented_keys(result):
    data, _ = result
    rows = data['pool_scale']
    assert [r['images'] for r in rows] == [16, 256]
    for r in rows:
        for key in ('rss_mb', 'checkpoint_mb', 'read_images_per_s'):
            assert isinstance(r[key], float) and r[key] > 0, key
    assert [r['shards'] for r in rows] == [1, 4]
    # 256 images of 3×8×8 uint8 in 4 shards (plus the pickle around them)
    assert 0.047 < rows[1]['disk_mb'] < 0.06
    assert rows[1]['memory_pool_mb'] == pytest.approx(256 * 4 * 192 / 2**20)
    assert data['student_step']['images_per_s'] > 0
    assert data['load']['before'] and data['machine']['cpus']


def test_checkpoint_size_does_not_follow_the_pool(result):
    data, _ = result
    small, large = data['pool_scale']
    # 16x the images: 3 more shard entries of ~100 bytes, no image
    assert large['checkpoint_mb'] - small['checkpoint_mb'] < 0.001
    assert large['checkpoint_mb'] < 0.02


def test_shards_are_removed(result):
    _, root = result
    assert os.listdir(root) == []
