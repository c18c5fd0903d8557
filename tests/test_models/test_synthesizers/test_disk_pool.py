"""DiskPool: uint8 shards on disk, bounded reads, a checkpoint state that
lists shards (not images), verified on restore."""
import json
import os

import pytest
import torch

from mmdfkd.models.synthesizers import DiskPool, SyntheticPool
from mmdfkd.utils import unpack_state
from mmdfkd.utils.pool_format import PoolFormatError, read_pool


def batch(n, seed, shape=(3, 4, 4), low=0., high=255.):
    gen = torch.Generator().manual_seed(seed)
    images = low + (high - low) * torch.rand(n, *shape, generator=gen)
    return images, torch.arange(n) % 5


def test_uint8_round_trip_by_hand(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=3)
    images = torch.tensor([0.4, 0.6, 127.5, 254.7, 255.0, 300.0, -2.0,
                           100.2]).reshape(8, 1, 1, 1)
    pool.add(images, torch.tensor([0, 1, 1, 2, 2, 2, 0, 4]))
    # round to nearest (127.5: to even), clipped to 0..255
    expected = torch.tensor([0., 1., 128., 255., 255., 255., 0., 100.])
    back, labels = pool.tensors()
    assert torch.equal(back.flatten(), expected)
    assert labels.tolist() == [0, 1, 1, 2, 2, 2, 0, 4]
    assert [s['count'] for s in pool.shards] == [3, 3, 2]
    assert [s['file'] for s in pool.shards] == [
        'rank_0/shard_00000.pt', 'rank_0/shard_00001.pt',
        'rank_0/shard_00002.pt'
    ]
    assert pool.class_counts(6).tolist() == [2, 2, 3, 0, 1, 0]
    # the rank folder is a pool folder of the verified format
    meta = json.loads((tmp_path / 'pool/rank_0/meta.json').read_text())
    assert meta['dtype'] == 'uint8' and meta['num_images'] == 8
    assert meta['pixel_range'] == [0.0, 255.0]
    loaded = SyntheticPool.load(tmp_path / 'pool/rank_0')
    assert torch.equal(loaded.tensors()[0].flatten(), expected)


@pytest.mark.parametrize('low,high', [(0., 255.), (0., 1.), (-1., 1.)])
def test_round_trip_within_half_a_level(tmp_path, low, high):
    pool = DiskPool(tmp_path / 'pool', shard_size=16,
                    pixel_range=(low, high))
    images, labels = batch(40, 0, low=low, high=high)
    pool.add(images, labels)
    back, back_labels = pool.tensors()
    err = (back - images).abs().max().item()
    assert err <= 0.5 / 255 * (high - low) + 1e-6
    assert torch.equal(back_labels, labels)
    # and the same through read_pool (dequantised to pixel space)
    via_format, _, meta = read_pool(tmp_path / 'pool/rank_0')
    assert torch.equal(via_format, back)


def test_sample_reads_a_bounded_window(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=8, cache_images=24)
    everything = []
    for seed in range(10):  # 80 images in 10 shards
        images, labels = batch(8, seed)
        pool.add(images, labels)
        everything.append(images)
    assert pool.cached_images <= 24
    stored = pool.tensors()[0]
    seen = set()
    for _ in range(60):
        images, labels = pool.sample(8)
        assert images.dtype == torch.float32 and images.shape == (8, 3, 4,
                                                                   4)
        assert pool.cached_images <= 24
        # every drawn image is one of the pool's, with its label
        match = (images.flatten(1)[:, None] ==
                 stored.flatten(1)[None]).all(2)
        rows = match.float().argmax(1)
        assert match.any(1).all()
        assert torch.equal(labels, rows % 8 % 5)
        seen.update(rows.tolist())
    assert len(seen) > 60  # the window moves over the whole pool


def test_small_pool_samples_uniformly_like_the_memory_pool(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=4, cache_images=64)
    pool.add(*batch(12, 0))
    gen = torch.Generator().manual_seed(0)
    hits = torch.zeros(12)
    stored = pool.tensors()[0].flatten(1)
    for _ in range(300):
        images, _ = pool.sample(10, generator=gen)
        rows = (images.flatten(1)[:, None] == stored[None]).all(2).float()
        hits += rows.sum(0)
    assert hits.min() > 0.7 * 250 and hits.max() < 1.3 * 250


def test_state_lists_shards_not_images(tmp_path):
    def state_bytes(n):
        pool = DiskPool(tmp_path / f'p{n}', shard_size=n)
        for seed in range(4):
            pool.add(*batch(n, seed, shape=(3, 16, 16)))
        return pool.get_extra_state().numel()

    small, large = state_bytes(16), state_bytes(256)
    # 16x the images (3 MB of pixels as uint8): the same 4 shard entries
    # (a few bytes for the larger counts and the zip's 64-byte alignment)
    assert abs(large - small) <= 128
    assert large < 4096


def restored(tmp_path, pool):
    again = DiskPool(pool.root, shard_size=pool.shard_size)
    again.set_extra_state(pool.get_extra_state())
    return again


def test_restore_continues_with_the_same_shards(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=8)
    pool.add(*batch(16, 0))
    again = restored(tmp_path, pool)
    assert again.shards == pool.shards and len(again) == 16
    assert torch.equal(again.tensors()[0], pool.tensors()[0])
    assert torch.equal(again.class_counts(5), pool.class_counts(5))
    again.add(*batch(8, 1))
    assert [s['file'] for s in again.shards][-1] == 'rank_0/shard_00002.pt'


def test_restore_refuses_a_modified_shard(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=8)
    pool.add(*batch(16, 0))
    path = tmp_path / 'pool/rank_0/shard_00001.pt'
    data = bytearray(path.read_bytes())
    data[-40] ^= 0xFF  # same size, other content
    path.write_bytes(bytes(data))
    with pytest.raises(PoolFormatError,
                       match='shard_00001.pt was modified.*--work-dir'):
        restored(tmp_path, pool)


def test_restore_refuses_a_missing_shard(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=8)
    pool.add(*batch(16, 0))
    os.remove(tmp_path / 'pool/rank_0/shard_00000.pt')
    with pytest.raises(PoolFormatError,
                       match='shard_00000.pt is missing.*restore the file'):
        restored(tmp_path, pool)


def test_fresh_pool_refuses_an_earlier_runs_shards(tmp_path):
    DiskPool(tmp_path / 'pool').add(*batch(4, 0))
    fresh = DiskPool(tmp_path / 'pool')
    with pytest.raises(PoolFormatError, match='never deleted.*--resume'):
        fresh.check_writable()
    assert (tmp_path / 'pool/rank_0/shard_00000.pt').is_file()


def test_shards_after_the_checkpoint_are_kept(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=8)
    pool.add(*batch(8, 0))
    state = pool.get_extra_state()
    pool.add(*batch(8, 1))  # written after the checkpoint
    orphan = (tmp_path / 'pool/rank_0/shard_00001.pt').read_bytes()
    again = DiskPool(tmp_path / 'pool', shard_size=8)
    again.set_extra_state(state)
    again.add(*batch(8, 2))
    assert [s['file'] for s in again.shards] == [
        'rank_0/shard_00000.pt', 'rank_0/shard_00002.pt'
    ]
    assert (tmp_path / 'pool/rank_0/shard_00001.pt').read_bytes() == orphan


def test_memory_pool_state_is_refused(tmp_path):
    memory = SyntheticPool()
    memory.add(*batch(4, 0))
    with pytest.raises(PoolFormatError, match='in-memory pool'):
        DiskPool(tmp_path / 'pool').set_extra_state(
            memory.get_extra_state())


def test_needs_a_root():
    with pytest.raises(ValueError, match='tools/train.py sets'):
        DiskPool()


def test_state_loads_with_weights_only(tmp_path):
    pool = DiskPool(tmp_path / 'pool')
    pool.add(*batch(4, 0))
    state = unpack_state(pool.get_extra_state())
    assert state['num_images'] == 4 and 'images' not in state


def test_subset_draws_distinct_resident_images(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=4, cache_images=8)
    for seed in range(4):
        pool.add(*batch(4, seed))
    resident = torch.cat([pool.tensors()[0][i * 4:i * 4 + 4]
                          for i in (2, 3)])  # the two newest shards
    drawn = pool.subset(6, seed=1)
    assert torch.equal(drawn, pool.subset(6, seed=1))
    match = (drawn.flatten(1)[:, None] == resident.flatten(1)[None]).all(2)
    assert match.any(1).all() and match.float().argmax(1).unique().numel() \
        == 6


def test_memory_pool_refuses_a_disk_pool_state(tmp_path):
    disk = DiskPool(tmp_path / 'pool')
    disk.add(*batch(4, 0))
    with pytest.raises(ValueError, match="pool.type='DiskPool'"):
        SyntheticPool().set_extra_state(disk.get_extra_state())


def test_restored_pool_that_fits_draws_the_same(tmp_path):
    pool = DiskPool(tmp_path / 'pool', shard_size=4, cache_images=16)
    for seed in range(3):
        pool.add(*batch(4, seed))
    again = restored(tmp_path, pool)  # nothing resident yet
    for _ in range(3):
        torch.manual_seed(7)
        first = pool.sample(5)
        torch.manual_seed(7)
        second = again.sample(5)
        assert torch.equal(first[0], second[0])
        assert torch.equal(first[1], second[1])


def test_takes_the_memory_pool_arguments_of_a_task_config(tmp_path):
    pool = DiskPool(tmp_path / 'pool', max_size=None, device='cpu')
    pool.add(*batch(4, 0))
    assert pool.sample(2)[0].device == torch.device('cpu')
    with pytest.raises(ValueError, match='FIFO'):
        DiskPool(tmp_path / 'other', max_size=8)


def test_bad_batches_are_refused_before_anything_is_written(tmp_path):
    pool = DiskPool(tmp_path / 'pool')
    images, labels = batch(4, 0)
    with pytest.raises(ValueError, match='floats in pixel_range'):
        pool.add(images.to(torch.uint8), labels)
    with pytest.raises(ValueError, match='NaN or infinite'):
        pool.add(torch.full_like(images, float('nan')), labels)
    with pytest.raises(ValueError, match=r'labels must have shape \(4,\)'):
        pool.add(images, labels[:3])
    assert not os.path.exists(tmp_path / 'pool')
    pool.add(images, labels)
    with pytest.raises(ValueError, match='the pool holds labels, this'):
        pool.add(images)
    with pytest.raises(ValueError, match=r'image shape mismatch'):
        pool.add(images[:, :, :2], labels)
    assert len(pool) == 4 and len(pool.shards) == 1
