"""The student export after a run: a weights-only checkpoint and a plain
mmpretrain config that the ordinary tools load and evaluate."""
import os
import os.path as osp
import re
import sys

import mmengine
import pytest
import torch
from mmengine.config import Config

from mmdfkd.engine import export_student
from mmdfkd.utils import unwrap_model
from tests.conftest import ROOT
from tests.process import run_bounded


@pytest.fixture(scope='module')
def exported(dfad_run):
    out = osp.join(dfad_run.work_dir, 'student')
    return dict(
        runner=dfad_run,
        cfg=osp.join(out, 'student_config.py'),
        ckpt=osp.join(out, 'student.pth'))


def _test_batches(cfg: Config, n_batches: int = None, batch_size: int = 64):
    """Batches of the real digits test split, built from ``cfg``."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    loader_cfg = cfg.test_dataloader.to_dict()
    loader_cfg['batch_size'] = batch_size
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        loader = Runner.build_dataloader(loader_cfg)
    for i, batch in enumerate(loader):
        if n_batches is not None and i >= n_batches:
            return
        yield batch


def _predict(model, batch):
    model.eval()
    with torch.no_grad():
        samples = model.test_step(batch)
    return (torch.stack([s.pred_score for s in samples]),
            torch.stack([s.pred_label for s in samples]).flatten(),
            torch.stack([s.gt_label for s in samples]).flatten())


def test_files_written_and_reported(exported):
    assert osp.isfile(exported['cfg'])
    assert osp.isfile(exported['ckpt'])
    hub = exported['runner'].message_hub
    assert hub.get_info('student_checkpoint') == exported['ckpt']


def test_test_tools_write_into_a_folder_named_after_the_student(
        exported, tmp_path):
    """mmseg-style test tools default to work_dirs/<config name>, which was
    work_dirs/student_config for every export; the exported config names
    work_dirs/<run>_student."""
    run = osp.basename(exported['runner'].work_dir)
    assert Config.fromfile(exported['cfg']).work_dir == osp.join(
        'work_dirs', f'{run}_student')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = run_bounded(
        [sys.executable, osp.join(ROOT, 'tools/test.py'), exported['cfg'],
         exported['ckpt']],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert os.listdir(tmp_path / 'work_dirs') == [f'{run}_student']


def test_checkpoint_is_weights_only_and_matches_student(exported):
    ckpt = torch.load(exported['ckpt'], map_location='cpu', weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta']['exported_by'] == 'mmdfkd'
    student = unwrap_model(exported["runner"].model).final_student
    expected = student.state_dict()
    assert list(ckpt['state_dict']) == list(expected)
    for key, value in expected.items():
        assert torch.equal(ckpt['state_dict'][key], value.cpu()), key


def test_config_is_plain_mmpretrain(exported):
    cfg = Config.fromfile(exported['cfg'])
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmdfkd' in cfg.custom_imports['imports']
    assert cfg.model.type == 'ImageClassifier'
    # nothing of the distillation leaks in
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler',
                'custom_hooks', 'model_wrapper_cfg', 'train_cfg'):
        assert key not in cfg, key
    for key in ('val_dataloader', 'val_evaluator', 'test_dataloader',
                'test_evaluator'):
        assert key in cfg, key
    assert cfg.test_dataloader.dataset.split == 'test'


def test_init_model_predicts_like_the_distilled_student(exported):
    from mmpretrain.apis import init_model
    model = init_model(exported['cfg'], exported['ckpt'], device='cpu')
    student = unwrap_model(exported["runner"].model).final_student
    was_training = student.training
    cfg = Config.fromfile(exported['cfg'])
    try:
        n = 0
        for batch in _test_batches(cfg, n_batches=2, batch_size=16):
            s_ref, l_ref, _ = _predict(student, batch)
            s_exp, l_exp, _ = _predict(model, batch)
            torch.testing.assert_close(s_exp, s_ref)
            assert torch.equal(l_exp, l_ref)
            n += len(l_ref)
        assert n == 32
    finally:
        student.train(was_training)


def test_export_keeps_student_scope_and_custom_imports(tmp_path, dfad_run):
    """export_student on a config with its own custom imports keeps them
    (plus mmdfkd) and takes the scope from the student's `_scope_`."""
    cfg = dfad_run.cfg.copy()
    cfg.custom_imports = dict(
        imports=['mmpretrain'], allow_failed_imports=False)
    student = unwrap_model(dfad_run.model).final_student
    cfg_path, ckpt_path = export_student(cfg, student, str(tmp_path / 'out'))
    out = Config.fromfile(cfg_path)
    assert out.custom_imports['imports'] == ['mmdfkd', 'mmpretrain']
    assert out.default_scope == 'mmpretrain'
    assert '_scope_' not in out.model
    assert osp.isfile(ckpt_path)


def test_tools_test_evaluates_exported_student(exported, tmp_path):
    """`tools/test.py student_config.py student.pth --out preds.pkl` runs,
    prints the accuracy the exported student has on the test split and
    dumps its predictions."""
    from mmpretrain.apis import init_model
    model = init_model(exported['cfg'], exported['ckpt'], device='cpu')
    preds = []
    correct = total = 0
    for batch in _test_batches(Config.fromfile(exported['cfg'])):
        _, pred, gt = _predict(model, batch)
        preds.append(pred)
        correct += int((pred == gt).sum())
        total += len(gt)
    assert total == 540
    expected = 100.0 * correct / total
    out_file = tmp_path / 'preds.pkl'

    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = run_bounded(
        [sys.executable, 'tools/test.py', exported['cfg'], exported['ckpt'],
         '--work-dir', str(tmp_path / 'test'), '--out', str(out_file)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    match = re.search(r'Epoch\(test\).*accuracy/top1: ([0-9.]+)', out)
    assert match, out[-3000:]
    assert float(match.group(1)) == pytest.approx(expected, abs=0.01)
    assert 'unexpected key' not in out and 'missing keys' not in out

    dumped = mmengine.load(str(out_file))
    assert len(dumped) == 540
    dumped_labels = torch.stack([torch.as_tensor(d['pred_label']).flatten()
                                 for d in dumped]).flatten()
    assert torch.equal(dumped_labels, torch.cat(preds))
