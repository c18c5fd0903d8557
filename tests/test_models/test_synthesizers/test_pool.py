import json
import os
import os.path as osp

import pytest
import torch
from torch import nn

import mmdfkd  # noqa: F401  (allow-list for weights_only loads)
from mmdfkd.utils import unpack_state
from mmdfkd.models.synthesizers import SyntheticPool
from mmdfkd.utils.pool_format import (PoolFingerprintError, PoolFormatError,
                                      file_sha256)

SHAPE = (3, 4, 5)


def batch(first, n, labels=True, shape=SHAPE):
    """Images whose every pixel is the image's id (first..first+n-1)."""
    ids = torch.arange(first, first + n)
    images = ids.float().view(n, 1, 1, 1).expand(n, *shape).clone()
    return images, (ids.clone() if labels else None)


def ids_of(pool):
    images, labels = pool.tensors()
    assert torch.equal(images[:, 0, 0, 0].long(), labels)
    return labels.tolist()


def test_unbounded_growth_keeps_order():
    pool = SyntheticPool()
    assert len(pool) == 0 and pool.image_shape is None and pool.device is None
    for first in range(0, 100, 7):
        pool.add(*batch(first, 7))
    assert len(pool) == 105
    assert pool.image_shape == SHAPE
    assert pool.device == torch.device('cpu')
    assert ids_of(pool) == list(range(105))
    assert pool.capacity < 2 * 105 + 7  # grown by doubling, not per add


def test_fifo_drops_oldest():
    pool = SyntheticPool(max_size=10)
    pool.add(*batch(0, 4))
    pool.add(*batch(4, 4))
    assert ids_of(pool) == list(range(8))
    pool.add(*batch(8, 5))  # 13 > 10: the 3 oldest go
    assert len(pool) == 10
    assert ids_of(pool) == list(range(3, 13))
    for first in range(13, 40, 3):  # many wraps of the ring
        pool.add(*batch(first, 3))
    assert ids_of(pool) == list(range(30, 40))
    assert pool.capacity == 10
    pool.add(*batch(100, 25))  # a batch larger than max_size
    assert ids_of(pool) == list(range(115, 125))


def test_mismatches_are_refused():
    pool = SyntheticPool()
    pool.add(*batch(0, 2))
    with pytest.raises(ValueError, match=r'image shape mismatch.*\(3, 4, 5\)'):
        pool.add(*batch(0, 2, shape=(3, 4, 6)))
    with pytest.raises(ValueError, match='pool holds labels, this batch has'):
        pool.add(batch(0, 2)[0])
    with pytest.raises(ValueError, match=r'labels must have shape \(2,\)'):
        pool.add(batch(0, 2)[0], torch.arange(3))
    with pytest.raises(ValueError, match='labels must be integers'):
        pool.add(batch(0, 2)[0], torch.zeros(2))
    with pytest.raises(ValueError, match=r'N×C×H×W'):
        pool.add(torch.zeros(3, 4, 5))
    with pytest.raises(ValueError, match='NaN or infinite'):
        pool.add(torch.full((1, ) + SHAPE, float('nan')),
                 torch.zeros(1).long())
    assert len(pool) == 2  # nothing refused was added

    unlabelled = SyntheticPool()
    unlabelled.add(batch(0, 2)[0])
    with pytest.raises(ValueError, match='pool holds no labels'):
        unlabelled.add(*batch(0, 2))
    with pytest.raises(RuntimeError, match='empty pool'):
        SyntheticPool().sample(4)
    with pytest.raises(ValueError, match='max_size'):
        SyntheticPool(max_size=0)
    with pytest.raises(ValueError, match='store_dtype'):
        SyntheticPool(store_dtype='uint8')


def test_sample_statistics_and_determinism():
    pool = SyntheticPool(max_size=50)
    for first in range(0, 70, 10):  # wrapped ring: ids 20..69
        pool.add(*batch(first, 10))
    gen = torch.Generator().manual_seed(0)
    images, labels = pool.sample(4000, generator=gen)
    assert images.shape == (4000, ) + SHAPE
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert images.device == pool.device
    # each drawn image is the one its label names
    assert torch.equal(images[:, 2, 3, 4].long(), labels)
    counts = torch.bincount(labels - 20, minlength=50)
    # every index reachable
    assert counts.shape[0] == 50 and (counts > 0).all()
    assert labels.min() == 20 and labels.max() == 69  # dropped ones never
    # uniform: 80 expected per id; chi-square with 49 dof stays far below 100
    chi2 = ((counts.float() - 80) ** 2 / 80).sum()
    assert chi2 < 100

    again = pool.sample(64, generator=torch.Generator().manual_seed(3))
    same = pool.sample(64, generator=torch.Generator().manual_seed(3))
    other = pool.sample(64, generator=torch.Generator().manual_seed(4))
    assert torch.equal(again[0], same[0]) and torch.equal(again[1], same[1])
    assert not torch.equal(again[1], other[1])
    # a sample is a copy: changing it leaves the pool alone
    again[0].zero_()
    assert ids_of(pool) == list(range(20, 70))

    unlabelled = SyntheticPool()
    unlabelled.add(batch(0, 3, labels=False)[0])
    images, labels = unlabelled.sample(5)
    assert labels is None and images.shape == (5, ) + SHAPE


def test_float16_storage_round_trip():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(16, *SHAPE, generator=gen) * 255
    pool = SyntheticPool(store_dtype='float16')
    pool.add(images)
    stored, _ = pool.tensors()
    assert stored.dtype == torch.float16
    out, _ = pool.sample(8, generator=torch.Generator().manual_seed(1))
    assert out.dtype == torch.float32
    restored = stored.float()
    # 0..255 in float16: within |v| * 2**-11 <= 0.125 (documented 0.0625)
    err = (restored - images).abs()
    assert err.max() <= 0.0625 + 1e-6
    assert (err <= images.abs() * 2 ** -11 + 1e-6).all()
    with pytest.raises(ValueError, match='beyond float16'):
        pool.add(torch.full((1, ) + SHAPE, 1e5))


class Owner(nn.Module):

    def __init__(self, **pool_args):
        super().__init__()
        self.net = nn.Linear(2, 2)
        self.pool = SyntheticPool(**pool_args)


@pytest.mark.parametrize('dtype', ['float32', 'float16'])
def test_state_dict_round_trip(tmp_path, dtype):
    owner = Owner(max_size=12, store_dtype=dtype)
    for first in range(0, 20, 5):  # wrapped
        owner.pool.add(*batch(first, 5))
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=owner.state_dict()), path)
    # one byte tensor (MMEngine broadcasts state entries, tensors only);
    # only the pool's 12 images are saved, not a larger buffer
    packed = owner.state_dict()['pool._extra_state']
    assert packed.dtype == torch.uint8 and packed.dim() == 1
    assert unpack_state(packed)['images'].shape[0] == 12
    state = torch.load(path, weights_only=True)['state_dict']

    fresh = Owner(max_size=12, store_dtype=dtype)
    fresh.load_state_dict(state)
    assert len(fresh.pool) == 12
    a, b = owner.pool.tensors(), fresh.pool.tensors()
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert b[0].dtype == getattr(torch, dtype)
    gen = torch.Generator().manual_seed(5)
    s1 = owner.pool.sample(7, generator=gen)
    s2 = fresh.pool.sample(7, generator=torch.Generator().manual_seed(5))
    assert torch.equal(s1[0], s2[0])
    # the FIFO continues where it stopped
    fresh.pool.add(*batch(20, 2))
    owner.pool.add(*batch(20, 2))
    assert ids_of(fresh.pool) == ids_of(owner.pool) == list(range(10, 22))


def test_state_dict_through_mmengine_checkpoint(tmp_path):
    from mmengine.runner.checkpoint import (get_state_dict, load_checkpoint,
                                            weights_to_cpu)
    owner = Owner()
    owner.pool.add(*batch(0, 6))
    path = str(tmp_path / 'runner.pth')
    torch.save(dict(state_dict=weights_to_cpu(get_state_dict(owner))), path)
    fresh = Owner()
    load_checkpoint(fresh, path, map_location='cpu')
    assert ids_of(fresh.pool) == list(range(6))

    empty = Owner()
    state = empty.state_dict()
    again = Owner()
    again.load_state_dict(state)
    assert len(again.pool) == 0


def test_save_load_exact(tmp_path):
    gen = torch.Generator().manual_seed(0)
    pool = SyntheticPool(max_size=20)
    for _ in range(5):  # 25 images into 20: wrapped
        pool.add(torch.rand(5, *SHAPE, generator=gen) * 255,
                 torch.randint(10, (5, ), generator=gen))
    fingerprint = dict(teacher='digits_convnet', teacher_sha256='ab' * 32,
                       image_size=[4, 5], pixel_range=(0, 255))
    meta = pool.save(tmp_path / 'pool', fingerprint, shard_size=8)
    names = sorted(os.listdir(tmp_path / 'pool'))
    assert names == ['meta.json', 'shard_00000.pt', 'shard_00001.pt',
                     'shard_00002.pt']
    on_disk = json.loads((tmp_path / 'pool' / 'meta.json').read_text())
    assert on_disk == meta
    assert on_disk['format'] == 'mmdfkd-pool' and on_disk['version'] == 1
    assert on_disk['num_images'] == 20 and on_disk['image_shape'] == [3, 4, 5]
    assert on_disk['dtype'] == 'float32' and on_disk['pixel_range'] == [0, 255]
    assert [s['count'] for s in on_disk['shards']] == [8, 8, 4]
    for shard in on_disk['shards']:
        path = tmp_path / 'pool' / shard['file']
        assert shard['sha256'] == file_sha256(path)
    shard = torch.load(tmp_path / 'pool' / 'shard_00002.pt', weights_only=True)
    assert shard['images'].dtype == torch.float32  # not re-encoded to 8 bit

    loaded = SyntheticPool.load(tmp_path / 'pool', expected=dict(
        teacher_sha256='ab' * 32, image_size=(4, 5)))
    a, b = pool.tensors(), loaded.tensors()
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert loaded.meta['fingerprint']['teacher'] == 'digits_convnet'

    # re-export a smaller float16 unlabelled pool into the same folder
    small = SyntheticPool(store_dtype='float16')
    small.add(a[0][:3])
    small.save(tmp_path / 'pool', dict(teacher='x'), shard_size=8)
    assert sorted(os.listdir(tmp_path / 'pool')) == ['meta.json',
                                                     'shard_00000.pt']
    back = SyntheticPool.load(tmp_path / 'pool')
    assert back.store_dtype == 'float16' and back.has_labels is False
    assert torch.equal(back.tensors()[0], a[0][:3].half())


@pytest.fixture
def saved(tmp_path):
    pool = SyntheticPool()
    pool.add(*batch(0, 10))
    out = tmp_path / 'pool'
    pool.save(out, dict(teacher_sha256='1' * 64, image_size=[4, 5]),
              shard_size=4)
    return out


def test_missing_meta_is_incomplete(saved):
    os.remove(saved / 'meta.json')
    with pytest.raises(PoolFormatError,
                       match='incomplete pool: no meta.json.*interrupted'):
        SyntheticPool.load(saved)
    with pytest.raises(FileNotFoundError, match='no pool folder'):
        SyntheticPool.load(saved / 'nowhere')


def test_missing_shard_is_named(saved):
    os.remove(saved / 'shard_00001.pt')
    with pytest.raises(PoolFormatError,
                       match='shard shard_00001.pt is missing'):
        SyntheticPool.load(saved)


@pytest.mark.parametrize('damage', ['truncate', 'modify'])
def test_damaged_shard_sha_mismatch(saved, damage):
    path = saved / 'shard_00002.pt'
    data = path.read_bytes()
    if damage == 'truncate':
        data = data[:len(data) // 2]
    else:
        data = data[:-40] + bytes(b ^ 0xFF for b in data[-40:])
    path.write_bytes(data)
    with pytest.raises(PoolFormatError,
                       match='shard shard_00002.pt has sha256.*truncated or '
                       'modified'):
        SyntheticPool.load(saved)


def test_fingerprint_mismatch_refused(saved):
    with pytest.raises(PoolFingerprintError,
                       match=r"'teacher_sha256': the pool has '1{64}', "
                       r"expected '2{64}' \(this pool was synthesized by "
                       'another teacher'):
        SyntheticPool.load(saved, expected=dict(teacher_sha256='2' * 64))
    with pytest.raises(PoolFingerprintError,
                       match=r"'image_size': the pool has \[4, 5\], expected "
                       r"\[8, 8\] \(the pool's images have another size"):
        SyntheticPool.load(saved, expected=dict(image_size=(8, 8)))
    with pytest.raises(PoolFingerprintError, match="'teacher_cfg': the pool "
                       'records none'):
        SyntheticPool.load(saved, expected=dict(teacher_cfg='a.py'))
    ok = SyntheticPool.load(saved, expected=dict(teacher_sha256='1' * 64))
    assert len(ok) == 10


def test_file_sha256(tmp_path):
    import hashlib
    path = tmp_path / 'f.bin'
    data = os.urandom(3000)
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert file_sha256(path, chunk_size=512) == expected
    assert osp.isfile(path)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_devices_cuda(tmp_path):
    on_gpu = SyntheticPool()
    on_gpu.add(*[t.cuda() for t in batch(0, 6)])
    assert on_gpu.device.type == 'cuda'
    images, labels = on_gpu.sample(
        16, generator=torch.Generator().manual_seed(0))  # a CPU generator
    assert images.is_cuda and labels.is_cuda
    assert torch.equal(images[:, 0, 0, 0].long(), labels)

    kept_on_cpu = SyntheticPool(device='cpu')
    kept_on_cpu.add(*[t.cuda() for t in batch(0, 6)])
    assert kept_on_cpu.device == torch.device('cpu')
    images, _ = kept_on_cpu.sample(4, device='cuda')
    assert images.is_cuda

    on_gpu.save(tmp_path / 'pool', {})
    loaded = SyntheticPool.load(tmp_path / 'pool', map_location='cuda')
    assert loaded.device.type == 'cuda'
    assert ids_of(loaded) == list(range(6))
