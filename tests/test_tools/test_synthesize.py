"""tools/synthesize.py: a pool exported from a teacher is a verified folder
that SyntheticPoolDataset reads, refusing a pool of another teacher."""
import importlib.util
import os.path as osp

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope='module')
def synthesize():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_synthesize', osp.join(ROOT, 'tools', 'synthesize.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_and_read_back(synthesize, trained_teacher, tmp_path):
    from mmdfkd.datasets import SyntheticPoolDataset
    from mmdfkd.utils.pool_format import PoolFingerprintError, file_sha256
    out = tmp_path / 'pool'
    synthesize.main([
        osp.join(ROOT, 'configs/deepinv_digits.py'), '--teacher-ckpt',
        trained_teacher, '--out',
        str(out), '--num-images', '20', '--batch-size', '8', '--cfg-options',
        'model.synthesizer.iterations=3'
    ])
    assert (out / 'meta.json').is_file()
    expected = dict(teacher_sha256=file_sha256(trained_teacher),
                    image_shape=[1, 8, 8])
    dataset = SyntheticPoolDataset(
        pool_dir=str(out), expected_fingerprint=expected,
        pipeline=[dict(type='mmpretrain.PackInputs')])
    assert len(dataset) == 20
    item = dataset[0]
    assert item['inputs'].shape == (1, 8, 8)
    assert 0 <= item['data_samples'].gt_label.item() < 10
    assert float(item['inputs'].min()) >= 0
    assert float(item['inputs'].max()) <= 255
    with pytest.raises(PoolFingerprintError, match='teacher'):
        SyntheticPoolDataset(
            pool_dir=str(out),
            expected_fingerprint=dict(teacher_sha256='0' * 64),
            pipeline=[])


def test_online_configs_are_refused(synthesize, trained_teacher, tmp_path):
    with pytest.raises(ValueError, match='online generator'):
        synthesize.main([
            osp.join(ROOT, 'configs/dfq_digits.py'), '--teacher-ckpt',
            trained_teacher, '--out', str(tmp_path / 'p')
        ])
