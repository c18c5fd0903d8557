"""tools/train.py: work dir, --cfg-options, --resume, local-rank flags and
the early failure on a missing teacher checkpoint."""
import importlib.util
import os
import os.path as osp
import re
import shutil

import pytest
import torch
from mmengine.config import Config

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine import check_resumable
from tests.conftest import ROOT

CONFIG = 'configs/dfad_digits.py'


def load_train_module():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_train', osp.join(ROOT, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_iters(log: str):
    """(iter, max_iters) of every training log line."""
    return [(int(a), int(b))
            for a, b in re.findall(r'Iter\(train\) \[(\d+)/(\d+)\]', log)]


@pytest.fixture(scope='module')
def two_iter_run(tool, tiny_options, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train') / 'run'
    proc = tool([
        'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_iters=2',
        *tiny_options
    ])
    return proc, work_dir


def test_writes_checkpoint_and_last_checkpoint(two_iter_run):
    proc, work_dir = two_iter_run
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert train_iters(proc.stdout) == [(1, 2), (2, 2)]
    ckpt = work_dir / 'iter_2.pth'
    assert ckpt.is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(ckpt)
    meta = load_untrusted_checkpoint(str(ckpt))['meta']
    assert meta['iter'] == 2
    # --cfg-options reached the config the run used (dumped in the work dir)
    dumped = Config.fromfile(str(work_dir / 'dfad_digits.py'))
    assert dumped.train_cfg.max_iters == 2
    assert dumped.train_dataloader.batch_size == 8
    assert dumped.work_dir == str(work_dir)
    assert (work_dir / 'student' / 'student.pth').is_file()
    assert f'work_dir: {work_dir}' in proc.stdout
    # every scope the run builds in exists (mmdfkd/registry.py)
    assert 'Failed to search registry' not in proc.stdout


def test_last_line_flags_a_run_that_did_not_learn(two_iter_run):
    """Two rounds teach the student nothing: training completes (exit 0,
    checkpoints kept) but its last line says it is not a success."""
    proc, work_dir = two_iter_run
    last = proc.stdout.strip().splitlines()[-1]
    assert f'work_dir: {work_dir}; training health: FAILED' in last
    assert 'not learning' in last
    reports = list(work_dir.glob('*/training_health.json'))
    assert len(reports) == 1 and '"healthy": false' in reports[0].read_text()


def test_resume_without_checkpoint_fails_early(monkeypatch, tiny_options,
                                               tmp_path):
    """`main()` stops before building the runner (an uncaught error: a
    non-zero exit status), naming the empty work dir."""
    train = load_train_module()
    work_dir = tmp_path / 'empty'
    work_dir.mkdir()
    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args would set it
    monkeypatch.setattr('sys.argv', [
        'train.py', CONFIG, '--resume', '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_iters=2',
        *tiny_options
    ])
    with pytest.raises(FileNotFoundError, match='no checkpoint') as info:
        train.main()
    assert str(work_dir) in str(info.value)
    assert os.listdir(work_dir) == []


def test_check_resumable_messages(tmp_path):
    with pytest.raises(FileNotFoundError, match='no checkpoint'):
        check_resumable(str(tmp_path))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_9.pth'))
    with pytest.raises(FileNotFoundError, match='iter_9.pth'):
        check_resumable(str(tmp_path))
    (tmp_path / 'iter_9.pth').write_bytes(b'')
    check_resumable(str(tmp_path))  # no error


def test_resume_continues_from_last_iteration(two_iter_run, tool,
                                              tiny_options, tmp_path):
    proc, src = two_iter_run
    assert proc.returncode == 0, proc.stdout[-4000:]
    work_dir = tmp_path / 'resumed'
    shutil.copytree(src, work_dir)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    proc = tool([
        'tools/train.py', CONFIG, '--resume', '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_iters=4',
        *tiny_options
    ])
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert 'resumed epoch: 0, iter: 2' in proc.stdout
    assert train_iters(proc.stdout) == [(3, 4), (4, 4)]
    last = work_dir / 'iter_4.pth'
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(last)
    before = load_untrusted_checkpoint(str(work_dir / 'iter_2.pth'))
    after = load_untrusted_checkpoint(str(last))
    assert after['meta']['iter'] == 4
    # it trained on from the loaded weights and optimiser state
    key = 'student.head.fc.weight'
    assert not torch.equal(before['state_dict'][key], after['state_dict'][key])
    assert set(after['optimizer']) == {'generator', 'student'}


@pytest.mark.parametrize('flag', ['--local-rank', '--local_rank'])
def test_local_rank_flags(monkeypatch, flag):
    train = load_train_module()
    # setenv first: the teardown then restores the caller's environment
    monkeypatch.setenv('LOCAL_RANK', '7')
    monkeypatch.delenv('LOCAL_RANK')
    monkeypatch.setattr('sys.argv', ['train.py', CONFIG, flag, '0'])
    args = train.parse_args()
    assert args.local_rank == 0
    assert os.environ['LOCAL_RANK'] == '0'

    monkeypatch.delenv('LOCAL_RANK')
    monkeypatch.setattr('sys.argv', ['train.py', CONFIG, flag, '3'])
    assert train.parse_args().local_rank == 3
    assert os.environ['LOCAL_RANK'] == '3'

    # torchrun's LOCAL_RANK wins over the default
    monkeypatch.setenv('LOCAL_RANK', '1')
    monkeypatch.setattr('sys.argv', ['train.py', CONFIG])
    assert train.parse_args().local_rank == 0
    assert os.environ['LOCAL_RANK'] == '1'


def test_missing_teacher_checkpoint_fails_at_once(tool, tmp_path):
    missing = tmp_path / 'nowhere' / 'teacher.pth'
    work_dir = tmp_path / 'run'
    proc = tool([
        'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), '--cfg-options', f'model.teacher_ckpt={missing}',
        'train_cfg.max_iters=2', 'train_dataloader.batch_size=8'
    ])
    assert proc.returncode != 0
    assert 'FileNotFoundError' in proc.stdout
    assert str(missing) in proc.stdout
    assert 'tools/train.py' in proc.stdout
    assert not train_iters(proc.stdout)
    assert not list(work_dir.glob('*.pth')) if work_dir.exists() else True


def test_interrupt_during_checkpoint_save_names_the_intact_one(
        tool, tiny_options, tmp_path):
    """Ctrl-C while MMEngine writes the second checkpoint
    (tests/test_tools/interrupt_on_save.py): three lines naming the intact
    checkpoint, not a traceback (nor, as when the interrupt arrived while
    MMEngine laid out the config text for the checkpoint, a SyntaxError and
    the whole config: tests/test_engine/test_interrupt.py)."""
    config = tmp_path / 'interrupted.py'
    config.write_text(
        f"_base_ = [{osp.join(ROOT, CONFIG)!r}]\n"
        "custom_imports = dict(imports=['mmdfkd', "
        "'tests.test_tools.interrupt_on_save'], allow_failed_imports=False)\n")
    work_dir = tmp_path / 'run'
    proc = tool([
        'tools/train.py', str(config), '--work-dir', str(work_dir),
        '--cfg-options', 'train_cfg.max_iters=4',
        'default_hooks.checkpoint.interval=2', *tiny_options
    ], PYTHONPATH=ROOT)
    assert proc.returncode == 130, proc.stdout[-3000:]
    assert 'Failed to format the config file' not in proc.stdout
    after = proc.stdout.split('Saving checkpoint at 4 iterations')[1]
    assert after.strip().splitlines() == [
        'Training was interrupted while a checkpoint was being saved.',
        f'The last complete checkpoint is {work_dir / "iter_2.pth"} (named '
        f'by {work_dir / "last_checkpoint"}). Continue from it with '
        f'--resume --work-dir {work_dir}.'
    ]
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(
        work_dir / 'iter_2.pth')


def test_new_run_into_a_finished_run_is_refused(two_iter_run, tool,
                                                tiny_options, tmp_path):
    """A second run into the work dir of a finished one replaced its
    student.pth and moved last_checkpoint back. Now it stops before
    building anything; --overwrite starts over (old checkpoints and export
    deleted first)."""
    proc, src = two_iter_run
    assert proc.returncode == 0, proc.stdout[-4000:]
    work_dir = tmp_path / 'finished'
    shutil.copytree(src, work_dir)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    (work_dir / 'iter_1.pth').write_bytes(b'an older checkpoint')
    student = (work_dir / 'student' / 'student.pth').read_bytes()
    args = ['tools/train.py', CONFIG, '--work-dir', str(work_dir),
            '--cfg-options', 'train_cfg.max_iters=1', *tiny_options]
    proc = tool(args)
    assert proc.returncode != 0
    assert 'WorkDirInUseError' in proc.stdout
    assert '--overwrite' in proc.stdout and '--resume' in proc.stdout
    assert not train_iters(proc.stdout)
    assert (work_dir / 'student' / 'student.pth').read_bytes() == student
    assert (work_dir / 'last_checkpoint').read_text() == str(
        work_dir / 'iter_2.pth')

    proc = tool(args + ['--overwrite'])
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert train_iters(proc.stdout) == [(1, 1)]
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_1.pth']
    assert load_untrusted_checkpoint(str(work_dir /
                                         'iter_1.pth'))['meta']['iter'] == 1
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(
        work_dir / 'iter_1.pth')
    assert (work_dir / 'student' / 'student.pth').read_bytes() != student
