"""tools/dist_train.sh with a DiskPool on two CPU processes (gloo): each
rank synthesizes other images into its own shards, every rank's student
steps draw from the union of both ranks' shards, and --resume continues
them."""
import json
import os.path as osp

import torch

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.utils import unpack_state
from mmdfkd.utils.pool_format import read_pool
from tests.conftest import ROOT
from tests.tool_runs import dist_train, short_run
from tests.test_tools.test_dist_train import failure


def test_ranks_write_disjoint_shards_sample_the_union_and_resume(
        trained_teacher, tmp_path):
    """Also DeepInversion's (PixelSynthesizer's) train-and-resume on two
    processes, for test_dist_train's pool families: a --resume on 2
    processes continues each rank's shards, the earlier ones untouched."""
    config = tmp_path / 'disk_pool.py'
    config.write_text(
        f"_base_ = [{osp.join(ROOT, 'configs/deepinv_digits.py')!r}]\n"
        "custom_imports = dict(imports=['mmdfkd', "
        "'tests.test_tools.pool_draws_hook'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='PoolDrawsHook')]\n")
    work_dir = tmp_path / 'run'

    def run(max_iters, *extra):
        return dist_train(config, work_dir, [
            *short_run(trained_teacher, max_iters),
            'model.synthesizer.iterations=2',
            "model.schedule=[('synthesis',1),('student',2)]",
            'model.synthesizer.pool.type=DiskPool',
            'model.synthesizer.pool.shard_size=4'
        ], *extra, PYTHONPATH=str(ROOT))

    proc = run(2)
    assert proc.returncode == 0, failure(proc.stdout)
    pool = work_dir / 'pool'
    # each rank wrote its own folder: 2 rounds of 8 images, shards of 4
    images = {}
    for rank in (0, 1):
        images[rank], _, meta = read_pool(pool / f'rank_{rank}')
        assert meta['num_images'] == 16 and len(meta['shards']) == 4
    # no image of one rank is an image of the other
    same = (images[0].flatten(1)[:, None] ==
            images[1].flatten(1)[None]).all(2)
    assert not same.any()
    assert not torch.equal(images[0][:8], images[1][:8])
    views = [
        json.loads((work_dir / f'pool_rank{rank}.json').read_text())
        for rank in (0, 1)
    ]
    # both ranks hold the same union of 8 shards ...
    assert views[0]['shards'] == views[1]['shards']
    files = [s['file'] for s in views[0]['shards']]
    assert sorted(files) == sorted(
        f'rank_{r}/shard_{i:05d}.pt' for r in (0, 1) for i in range(4))
    # ... and each rank's student steps drew from both ranks' shards
    for view in views:
        assert view['drawn'].get('rank_0', 0) > 0, view['drawn']
        assert view['drawn'].get('rank_1', 0) > 0, view['drawn']
    state = unpack_state(
        load_untrusted_checkpoint(str(work_dir / 'iter_2.pth'))
        ['state_dict']['synthesizer.pool._extra_state'])
    assert state['num_images'] == 32 and 'images' not in state
    before = {f: (pool / f).read_bytes() for f in files}

    resumed = run(3, '--resume')
    assert resumed.returncode == 0, failure(resumed.stdout)
    assert 'resumed' in resumed.stdout.lower()
    state = unpack_state(
        load_untrusted_checkpoint(str(work_dir / 'iter_3.pth'))
        ['state_dict']['synthesizer.pool._extra_state'])
    assert state['num_images'] == 48  # 3 rounds of 8 on each rank
    for rank in (0, 1):
        assert read_pool(pool / f'rank_{rank}')[2]['num_images'] == 24
    assert {f: (pool / f).read_bytes() for f in files} == before
