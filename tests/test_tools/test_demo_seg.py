"""tools/demo_seg.py: a tiny end-to-end run (scenes written, teacher
trained, DDAD distillation, mIoU on the test split), and its exported
student evaluated by mmseg's own APIs."""
import glob
import importlib.util
import json
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.conftest import ROOT


@pytest.fixture(scope='module')
def demo_seg():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_demo_seg', osp.join(ROOT, 'tools', 'demo_seg.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny_run(demo_seg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('demo_seg')
    work_dir = tmp / 'demo'
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        summary = demo_seg.main([
            '--work-dir',
            str(work_dir), '--data-root',
            str(tmp / 'scenes'), '--teacher-dir',
            str(tmp / 'teacher'), '--scenes', '4', '2', '3',
            '--teacher-cfg-options', 'train_cfg.max_iters=3',
            'train_dataloader.batch_size=2', 'train_cfg.val_interval=100',
            '--cfg-options', 'train_cfg.max_iters=2',
            'train_cfg.val_interval=2', 'train_dataloader.batch_size=4',
            "model.schedule=[('student',1),('generator',1)]"
        ])
    finally:
        torch.set_num_threads(threads)
    return summary, work_dir, tmp


def test_summary(tiny_run):
    summary, work_dir, tmp = tiny_run
    on_disk = json.loads((work_dir / 'summary.json').read_text())
    assert on_disk == summary
    assert summary['method'] == 'ddad'
    for key in ('teacher_miou', 'student_miou'):
        assert 0.0 <= summary[key] <= 100.0
    assert 'final student' in summary['evaluated_on']
    assert summary['seconds'] >= summary['distill_seconds'] > 0
    assert osp.isfile(summary['prediction_grid'])
    assert osp.isfile(summary['synthetic_grid'])
    # the collapse monitor's verdict, judged on mIoU against the teacher's
    health = summary['training_health']
    assert summary['healthy'] == health['healthy']
    teacher = health['validation']['teacher']
    assert teacher['metric'] == 'mIoU' and teacher['chance'] == 0.0
    assert 0.0 < teacher['value'] <= 100.0  # on the val scenes
    assert health['criteria']['min_class_balance'] == 0.4
    # the scenes went to disk in CamVid's layout, the teacher was cached
    assert len(glob.glob(str(tmp / 'scenes' / 'testannot' / '*.png'))) == 3
    assert (tmp / 'teacher' / 'teacher.pth').is_file()


def test_cached_teacher_and_scenes_are_reused(demo_seg, tiny_run, capsys):
    _, _, tmp = tiny_run
    demo_seg.ensure_scenes(str(tmp / 'scenes'), (4, 2, 3))
    path = demo_seg.ensure_teacher(str(tmp / 'teacher'),
                                   str(tmp / 'scenes'), None)
    out = capsys.readouterr().out
    assert 'reusing the street scenes' in out
    assert 'reusing the teacher' in out
    assert path == str(tmp / 'teacher' / 'teacher.pth')


def test_exported_student_is_a_plain_mmseg_model(tiny_run, tmp_path):
    """The export is an mmseg config + checkpoint: the ordinary runner
    reproduces the demo's student mIoU on the test split, and
    mmseg.apis.init_model / inference_model segment a scene with it."""
    summary, _, tmp = tiny_run
    ckpt = summary['student_checkpoint']
    cfg_path = osp.join(osp.dirname(ckpt), 'student_config.py')
    cfg = Config.fromfile(cfg_path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.model.type == 'EncoderDecoder'
    cfg.work_dir = str(tmp_path / 'eval')
    cfg.load_from = ckpt
    metrics = Runner.from_cfg(cfg).test()
    assert metrics['mIoU'] == pytest.approx(summary['student_miou'])

    from mmseg.apis import inference_model, init_model
    model = init_model(cfg_path, ckpt, device='cpu')
    image = sorted(glob.glob(str(tmp / 'scenes' / 'test' / '*.png')))[0]
    result = inference_model(model, image)
    assert result.pred_sem_seg.data.shape == (1, 64, 64)
    assert int(result.pred_sem_seg.data.max()) < 11


def test_mmseg_test_tool_evaluates_the_export(tiny_run, tmp_path, tool):
    """mmseg's own tools/test.py (installed with mmseg) evaluates the
    exported config and checkpoint to the demo's student mIoU."""
    import mmseg
    summary, _, _ = tiny_run
    ckpt = summary['student_checkpoint']
    mmseg_test = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                          'test.py')
    proc = tool([
        mmseg_test,
        osp.join(osp.dirname(ckpt), 'student_config.py'), ckpt,
        '--work-dir',
        str(tmp_path / 'mmseg_test')
    ])
    assert proc.returncode == 0, proc.stdout[-3000:]
    found = re.findall(r'mIoU: ([0-9.]+)', proc.stdout)
    assert found, proc.stdout[-3000:]
    assert float(found[-1]) == pytest.approx(summary['student_miou'],
                                             abs=0.01)


def test_bad_scene_counts(demo_seg, capsys):
    with pytest.raises(SystemExit):
        demo_seg.parse_args(['--scenes', '4', '0', '3'])
    assert 'at least one scene per split' in capsys.readouterr().err
