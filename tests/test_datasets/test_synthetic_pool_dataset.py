import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

import mmdfkd  # noqa: F401
from mmdfkd.datasets import SyntheticPoolDataset
from mmdfkd.models.synthesizers import SyntheticPool
from mmdfkd.utils.pool_format import PoolFingerprintError, file_sha256
from mmdfkd.registry import DATASETS

FINGERPRINT = dict(teacher_sha256='a' * 64, image_size=[8, 8],
                   pixel_range=[0, 255])


@pytest.fixture(scope='module')
def pool_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp('pools')
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(10, 1, 8, 8, generator=gen) * 255
    labels = torch.arange(10) % 10
    labelled = SyntheticPool()
    labelled.add(images, labels)
    labelled.save(root / 'labelled', FINGERPRINT, shard_size=4)
    unlabelled = SyntheticPool(store_dtype='float16')
    unlabelled.add(images[:3])
    unlabelled.save(root / 'unlabelled', FINGERPRINT)
    return dict(labelled=str(root / 'labelled'),
                unlabelled=str(root / 'unlabelled'), images=images,
                labels=labels)


def test_items_are_pixel_space_hwc(pool_dirs):
    ds = DATASETS.build(
        dict(type='mmdfkd.SyntheticPoolDataset',
             pool_dir=pool_dirs['labelled'],
             expected_fingerprint=dict(teacher_sha256='a' * 64)))
    assert isinstance(ds, SyntheticPoolDataset)
    assert len(ds) == 10
    assert ds.pool_meta['fingerprint']['image_size'] == [8, 8]
    np.testing.assert_array_equal(ds.get_gt_labels(), np.arange(10))
    item = ds[3]
    assert item['img'].dtype == np.float32 and item['img'].shape == (8, 8, 1)
    np.testing.assert_array_equal(item['img'][..., 0],
                                  pool_dirs['images'][3, 0].numpy())
    assert item['gt_label'] == 3 and item['img_shape'] == (8, 8)
    item['img'][:] = -1  # a copy: the pool is untouched
    assert (ds[3]['img'] >= 0).all()

    subset = SyntheticPoolDataset(pool_dirs['labelled'], indices=[7, 2])
    assert [subset[i]['gt_label'] for i in range(2)] == [7, 2]


def test_unlabelled_float16_pool_gives_minus_one(pool_dirs):
    classes = [str(i) for i in range(10)]
    ds = SyntheticPoolDataset(pool_dirs['unlabelled'],
                              metainfo=dict(classes=classes))
    assert len(ds) == 3 and list(ds.CLASSES) == classes
    item = ds[1]
    assert item['gt_label'] == -1 and item['img'].dtype == np.float32
    np.testing.assert_allclose(item['img'][..., 0],
                               pool_dirs['images'][1, 0].numpy(), atol=0.0625)


def test_documented_example_with_a_synthesize_fingerprint(tmp_path):
    """docs/pool_format.md's config on a pool fingerprinted the way
    tools/synthesize.py does it. The old example asked for `image_size`,
    which no pool records: it was refused."""
    teacher = tmp_path / 'teacher.pth'
    teacher.write_bytes(b'the teacher weights')
    pool = SyntheticPool()
    pool.add(torch.rand(4, 1, 8, 8) * 255, torch.arange(4))
    pool.save(tmp_path / 'pool', dict(
        teacher_sha256=file_sha256(teacher), image_shape=[1, 8, 8],
        config='deepinv_digits.py', pixel_range=[0, 255]))
    documented = dict(
        type='mmdfkd.SyntheticPoolDataset', pool_dir=str(tmp_path / 'pool'),
        teacher_ckpt=str(teacher),
        expected_fingerprint=dict(image_shape=[1, 8, 8]),
        metainfo=dict(classes=[str(i) for i in range(10)]),
        pipeline=[dict(type='mmpretrain.PackInputs')])
    ds = DATASETS.build(documented)
    assert len(ds) == 4 and ds[2]['data_samples'].gt_label.item() == 2
    assert ds.expected_fingerprint == dict(
        image_shape=[1, 8, 8], teacher_sha256=file_sha256(teacher))

    with pytest.raises(PoolFingerprintError, match="'image_size': the pool "
                       'records none'):
        DATASETS.build(dict(documented,
                            expected_fingerprint=dict(image_size=[8, 8])))
    other = tmp_path / 'other.pth'
    other.write_bytes(b'another teacher')
    with pytest.raises(PoolFingerprintError, match='another teacher'):
        DATASETS.build(dict(documented, teacher_ckpt=str(other)))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        DATASETS.build(dict(documented,
                            teacher_ckpt=str(tmp_path / 'missing.pth')))


def test_fingerprint_checked_when_built(pool_dirs):
    with pytest.raises(PoolFingerprintError, match='another teacher'):
        SyntheticPoolDataset(pool_dirs['labelled'],
                             expected_fingerprint=dict(teacher_sha256='b'))


def test_through_pack_inputs_preprocessor_and_classifier(pool_dirs,
                                                         student_cfg):
    from mmpretrain.registry import MODELS as MMPRE_MODELS
    ds = DATASETS.build(
        dict(type='mmdfkd.SyntheticPoolDataset',
             pool_dir=pool_dirs['labelled'],
             pipeline=[dict(type='mmpretrain.PackInputs')]))
    loader = DataLoader(ds, batch_size=4, shuffle=False,
                        collate_fn=pseudo_collate)
    model = MMPRE_MODELS.build(student_cfg).eval()
    seen = 0
    for data in loader:
        assert data['inputs'][0].shape == (1, 8, 8)
        assert data['inputs'][0].dtype == torch.float32
        batch = model.data_preprocessor(data, training=False)
        n = len(data['inputs'])
        ref = pool_dirs['images'][seen:seen + n]
        mean, std = student_cfg['data_preprocessor']['mean'][0], \
            student_cfg['data_preprocessor']['std'][0]
        torch.testing.assert_close(batch['inputs'], (ref - mean) / std)
        gt = torch.cat([s.gt_label for s in batch['data_samples']])
        assert torch.equal(gt, pool_dirs['labels'][seen:seen + n])
        with torch.no_grad():
            logits = model(batch['inputs'], mode='tensor')
            losses = model(**batch, mode='loss')
        assert logits.shape == (n, 10) and torch.isfinite(logits).all()
        assert torch.isfinite(losses['loss'])
        seen += n
    assert seen == 10
