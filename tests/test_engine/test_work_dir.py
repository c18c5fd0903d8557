"""check_work_dir: a new run never replaces an earlier run silently."""
import pytest

from mmdfkd.engine.work_dir import (WorkDirInUseError, check_work_dir,
                                    earlier_run)


def finished_run(root):
    """What a finished data-free run leaves: checkpoints, last_checkpoint,
    the student export, logs."""
    root.mkdir(parents=True, exist_ok=True)
    (root / 'iter_1000.pth').write_bytes(b'a')
    (root / 'iter_1200.pth').write_bytes(b'b')
    (root / 'last_checkpoint').write_text(str(root / 'iter_1200.pth'))
    (root / 'student').mkdir()
    (root / 'student' / 'student.pth').write_bytes(b's')
    (root / 'student' / 'student_config.py').write_text('model = {}')
    (root / '20250101_000000').mkdir()
    (root / '20250101_000000' / '20250101_000000.log').write_text('log')
    return root


def test_fresh_or_missing_work_dir_passes(tmp_path):
    assert check_work_dir(str(tmp_path / 'missing')) == []
    (tmp_path / 'logs_only').mkdir()
    (tmp_path / 'logs_only' / 'x.log').write_text('')
    assert check_work_dir(str(tmp_path / 'logs_only')) == []


def test_earlier_run_is_refused_naming_it_and_the_ways_on(tmp_path):
    run = finished_run(tmp_path / 'dfq_digits')
    with pytest.raises(WorkDirInUseError) as info:
        check_work_dir(str(run))
    text = str(info.value)
    assert str(run) in text
    for shown in ('iter_1200.pth', 'last_checkpoint',
                  'student/student.pth', '--resume', '--work-dir',
                  '--overwrite'):
        assert shown in text
    # nothing touched
    assert (run / 'last_checkpoint').read_text() == str(run /
                                                       'iter_1200.pth')
    assert (run / 'student' / 'student.pth').read_bytes() == b's'


def test_teacher_export_counts(tmp_path):
    (tmp_path / 'teacher.pth').write_bytes(b't')
    assert earlier_run(str(tmp_path)) == [str(tmp_path / 'teacher.pth')]
    with pytest.raises(WorkDirInUseError, match='teacher.pth'):
        check_work_dir(str(tmp_path))


def test_resume_continues_it(tmp_path):
    run = finished_run(tmp_path / 'run')
    assert check_work_dir(str(run), resume=True) == []
    assert len(earlier_run(str(run))) == 4


def test_overwrite_deletes_checkpoints_and_export_keeps_logs(tmp_path):
    run = finished_run(tmp_path / 'run')
    removed = check_work_dir(str(run), overwrite=True)
    assert len(removed) == 4
    assert earlier_run(str(run)) == []
    assert not (run / 'student' / 'student_config.py').exists()
    assert (run / '20250101_000000' / '20250101_000000.log').is_file()


def test_overwrite_on_another_rank_deletes_nothing(tmp_path):
    run = finished_run(tmp_path / 'run')
    check_work_dir(str(run), overwrite=True, remove=False)
    assert len(earlier_run(str(run))) == 4
