"""tools/demo.py: argument checks and a tiny end-to-end run with a cached
teacher."""
import importlib.util
import json
import os.path as osp
import shutil

import pytest
import torch

from mmdfkd.tasks import TASKS
from tests.conftest import ROOT
from tests.fashion_mnist_data import write_fashion_mnist


@pytest.fixture(scope='module')
def demo():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_demo', osp.join(ROOT, 'tools', 'demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unknown_method_lists_the_methods(demo, capsys):
    with pytest.raises(SystemExit) as info:
        demo.parse_args(['--method', 'nope'])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown method 'nope'" in err
    for method in ('dafl', 'dfad', 'dfq', 'zskt'):
        assert method in err


def test_defaults_and_known_methods(demo):
    args = demo.parse_args([])
    assert (args.task, args.method) == ('digits', 'dfq')
    assert args.work_dir == 'work_dirs/demo'
    assert demo.teacher_dir_for(args.teacher_dir, {},
                                args.task) == 'work_dirs/digits_teacher'
    for task in demo.DEMO_TASKS:
        for method, config in TASKS[task].methods.items():
            args = demo.parse_args(['--task', task, '--method', method])
            assert args.method == method
            assert osp.isfile(osp.join(ROOT, config)), config
    args = demo.parse_args(['--task', 'fmnist'])
    assert args.method == next(iter(TASKS['fmnist'].methods))
    assert args.work_dir == 'work_dirs/demo_fmnist'
    # where `tools/train.py configs/teachers/fashion_mnist_convnet.py`
    # writes the teacher: the demo and the method configs share it
    assert demo.teacher_dir_for(args.teacher_dir, {},
                                args.task) == 'work_dirs/fashion_mnist_convnet'
    assert TASKS['fmnist'].teacher_ckpt == \
        'work_dirs/fashion_mnist_convnet/teacher.pth'


def test_fmnist_from_a_fresh_folder(demo, tmp_path, monkeypatch, capsys):
    """`make demo-fmnist`'s path on tiny files: the teacher trained with
    its config (the checkpoint the distillation config reads), a short
    distillation, teacher and student tested, the summary written."""
    monkeypatch.chdir(tmp_path)
    write_fashion_mnist('data/fashion_mnist', n_train=60, n_test=10)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        summary = demo.main([
            '--task', 'fmnist', '--method', 'dfad', '--cfg-options',
            'train_cfg.max_iters=2', 'train_dataloader.batch_size=8',
            'train_cfg.val_interval=1000'
        ])
    finally:
        torch.set_num_threads(threads)
    assert 'training the teacher on the fmnist train split' in \
        capsys.readouterr().out
    teacher = tmp_path / 'work_dirs/fashion_mnist_convnet/teacher.pth'
    assert teacher.is_file()
    assert summary['teacher_checkpoint'] == \
        'work_dirs/fashion_mnist_convnet/teacher.pth'
    with open(tmp_path / 'work_dirs/demo_fmnist/summary.json') as f:
        written = json.load(f)
    assert written == summary
    assert (written['task'], written['method']) == ('fmnist', 'dfad')
    assert written['config'] == 'configs/dfad_convnet_fashion_mnist.py'
    for key in ('teacher_accuracy', 'student_accuracy'):
        assert 0.0 <= written[key] <= 100.0
    assert written['seconds'] >= written['distill_seconds'] > 0
    assert osp.isfile(written['student_checkpoint'])


def test_nproc_must_be_positive(demo, capsys):
    assert demo.parse_args(['--nproc', '2']).nproc == 2
    with pytest.raises(SystemExit):
        demo.parse_args(['--nproc', '0'])
    assert '--nproc must be at least 1' in capsys.readouterr().err


def test_two_process_run(demo, trained_teacher, tmp_path):
    """NPROC=2: torchrun distils, this process tests the checkpoint."""
    teacher_dir = tmp_path / 'teacher'
    teacher_dir.mkdir()
    shutil.copy(trained_teacher, teacher_dir / 'teacher.pth')
    summary = demo.main([
        '--method', 'dfq', '--nproc', '2', '--work-dir',
        str(tmp_path / 'demo'), '--teacher-dir',
        str(teacher_dir), '--cfg-options', 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=16', 'train_cfg.val_interval=1000',
        'default_hooks.synthetic_grid.interval=1'
    ])
    assert summary['processes'] == 2
    assert osp.isfile(summary['student_checkpoint'])
    assert osp.isfile(summary['synthetic_grid'])
    assert 0.0 <= summary['student_accuracy'] <= 100.0
    # the checkpoint the test read is the 2-process run's last one
    ckpt = torch.load(
        tmp_path / 'demo' / 'dfq' / 'iter_2.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 2


def test_tiny_run_writes_summary(demo, trained_teacher, tmp_path, capsys):
    teacher_dir = tmp_path / 'teacher'
    teacher_dir.mkdir()
    shutil.copy(trained_teacher, teacher_dir / 'teacher.pth')
    work_dir = tmp_path / 'demo'
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets; avoids oversubscribed cores
    try:
        summary = demo.main([
            '--method', 'dfad', '--work-dir',
            str(work_dir), '--teacher-dir',
            str(teacher_dir), '--cfg-options', 'train_cfg.max_iters=3',
            'train_dataloader.batch_size=16', 'train_cfg.val_interval=1000',
            'default_hooks.logger.interval=1'
        ])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert f'reusing the teacher in {teacher_dir / "teacher.pth"}' in out
    assert 'training the teacher' not in out

    with open(work_dir / 'summary.json') as f:
        written = json.load(f)
    assert written == summary
    for key in ('teacher_accuracy', 'student_accuracy', 'method', 'seconds',
                'student_checkpoint', 'synthetic_grid'):
        assert key in written, key
    assert written['method'] == 'dfad'
    assert written['config'] == 'configs/dfad_digits.py'
    # accuracies are percentages; the short-trained teacher is far above
    # chance, the 3-iteration student anywhere in 0..100
    assert 50.0 < written['teacher_accuracy'] <= 100.0
    assert 0.0 <= written['student_accuracy'] <= 100.0
    assert written['student_to_teacher'] == pytest.approx(
        written['student_accuracy'] / written['teacher_accuracy'])
    assert written['seconds'] > 0
    assert written['seconds'] >= written['distill_seconds']
    assert osp.isfile(written['student_checkpoint'])
    assert written['student_checkpoint'].startswith(str(work_dir / 'dfad'))
    assert osp.isfile(written['synthetic_grid'])
    assert written['synthetic_grid'].endswith('synthetic_3.png')
    # the distillation used only the cached teacher: nothing trained anew
    assert sorted(p.name for p in teacher_dir.iterdir()) == ['teacher.pth']
    # 3 rounds teach the student nothing: the summary says so
    assert written['healthy'] is False
    assert any(p.startswith('not learning') for p in written['problems'])
    assert written['training_health']['validation']['teacher']['value'] > 50
    assert 'FAILED: this run does not count as a success' in out


def test_a_failed_run_exits_non_zero(trained_teacher, tmp_path):
    import subprocess
    import sys
    teacher_dir = tmp_path / 'teacher'
    teacher_dir.mkdir()
    shutil.copy(trained_teacher, teacher_dir / 'teacher.pth')
    proc = subprocess.run([
        sys.executable, osp.join(ROOT, 'tools', 'demo.py'), '--method',
        'dfq', '--work-dir', str(tmp_path / 'demo'), '--teacher-dir',
        str(teacher_dir), '--cfg-options', 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=16'
    ], capture_output=True, text=True, cwd=str(tmp_path),
        env=dict(__import__('os').environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert '[demo] FAILED' in proc.stdout
    assert not json.loads(
        (tmp_path / 'demo' / 'summary.json').read_text())['healthy']


def test_teacher_overrides_reach_its_training_and_evaluation(
        demo, tmp_path):
    """A teacher of other widths: trained, distilled and tested with the
    same architecture (before: tested as the default one, loaded
    non-strictly, 9.44 % and a ratio of 10.4)."""
    options = {
        'model.teacher.backbone.widths': (16, 32, 48),
        'model.teacher.head.in_channels': 48,
        'model.teacher_ckpt': 'x.pth',
    }
    arch = demo.teacher_options(options)
    assert arch == {'model.backbone.widths': (16, 32, 48),
                    'model.head.in_channels': 48}
    assert demo.teacher_dir_for(None, {}) == demo.DEFAULT_TEACHER_DIR
    cache = demo.teacher_dir_for(None, arch)
    assert cache.startswith(demo.DEFAULT_TEACHER_DIR + '_')
    assert cache != demo.teacher_dir_for(None, {'model.head.in_channels': 1})
    assert demo.teacher_dir_for('mine', arch) == 'mine'

    cfg = demo.teacher_config(arch)
    cfg.work_dir = str(tmp_path / 'teacher')
    cfg.train_cfg.max_epochs = 4
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler = []
    path = demo.train_teacher_weights(cfg, str(tmp_path / 'teacher.pth'))
    narrow = demo.teacher_accuracy(path, str(tmp_path / 'eval'), arch)
    assert narrow > 50  # its own architecture: a working teacher
    # the default architecture refuses these weights instead of testing a
    # half-loaded network
    from mmdfkd.engine import CheckpointMismatchError
    with pytest.raises(CheckpointMismatchError, match='teacher.pth'):
        demo.teacher_accuracy(path, str(tmp_path / 'eval2'), {})
    assert demo.ratio_note(narrow, narrow) is None
    assert 'beats its teacher' in demo.ratio_note(50.0, 60.0)
