"""tools/benchmark_quality.py on digits with a tiny budget: every method
through tools/train.py, and the content of what it writes."""
import importlib.util
import json
import os.path as osp
import time

import cv2
import pytest

from tests.conftest import ROOT

TINY = ['train_dataloader.batch_size=16',
        'default_hooks.logger.interval=1']


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_benchmark_quality',
        osp.join(ROOT, 'tools', 'benchmark_quality.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def one_thread(monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')


def test_arguments(tool, tmp_path, capsys):
    args = tool.parse_args(['fmnist-lenet'])
    assert args.methods == ['dfad', 'dafl', 'zskt', 'rdskd']
    assert args.planned == 'probe' and args.clock == 'cpu'
    assert args.probe_seconds == 60  # a tenth of 600 s, at most 60
    assert tool.parse_args(['digits', '--rounds', '7',
                            '--methods', 'dfq', 'kd']).planned == {
                                'dfq': 7, 'kd': 7}
    earlier = tmp_path / 'summary.json'
    earlier.write_text(json.dumps(
        dict(methods=dict(dfq=dict(rounds_planned=12)))))
    assert tool.parse_args(['digits', '--methods', 'dfq', '--rounds',
                            str(earlier)]).planned == {'dfq': 12}
    for bad, message in (
        (['digits', '--methods', 'nope'], "unknown methods ['nope']"),
        (['digits', '--rounds', 'many'], "--rounds must be"),
        (['digits', '--methods', 'dfad', '--rounds', str(earlier)],
         "no planned rounds for ['dfad']"),
    ):
        with pytest.raises(SystemExit):
            tool.parse_args(bad)
        assert message in capsys.readouterr().err



def test_an_earlier_report_is_refused_before_any_work(tool, tmp_path,
                                                      capsys):
    """Rerunning into the work dir of an earlier report stopped at every
    method (tools/train.py refuses a work dir holding a run) after the
    teacher was evaluated; it is refused at once, --overwrite replaces."""
    work = tmp_path / 'report'
    (work / 'dfq' / 'probe').mkdir(parents=True)
    (work / 'dfq' / 'probe' / 'iter_3.pth').write_bytes(b'')
    (work / 'dfad').mkdir()
    (work / 'dfad' / 'summary.json').write_text('{}')  # no run
    with pytest.raises(SystemExit):
        tool.parse_args(['digits', '--methods', 'dfq', 'dfad',
                         '--work-dir', str(work)])
    err = capsys.readouterr().err
    assert 'holds the runs of an earlier report (dfq/probe)' in err
    assert '--overwrite' in err
    args = tool.parse_args(['digits', '--methods', 'dfq', 'dfad',
                            '--work-dir', str(work), '--overwrite'])
    assert args.overwrite
    assert tool.parse_args(['digits', '--methods', 'dfad', '--work-dir',
                            str(work)]).overwrite is False

def test_report_of_two_methods(tool, trained_teacher, tmp_path, one_thread):
    work = tmp_path / 'quality'
    summary = tool.main([
        'digits', '--methods', 'dfq', 'dfad', '--rounds', '4',
        '--val-points', '2', '--budget', '600', '--teacher-ckpt',
        trained_teacher, '--work-dir', str(work), '--cfg-options', *TINY
    ])
    on_disk = json.loads((work / 'summary.json').read_text())
    assert on_disk['methods'].keys() == summary['methods'].keys() == {
        'dfq', 'dfad'}
    assert len(on_disk['commit']['hash']) == 40
    assert on_disk['seed'] == 0 and on_disk['budget']['rounds'] == '4'
    teacher = on_disk['teacher']
    assert 50 < teacher['test_accuracy'] <= 100
    assert 50 < teacher['val_accuracy'] <= 100
    for name, row in on_disk['methods'].items():
        assert 'error' not in row, row
        # four rounds, validated every second one, nothing cut by the budget
        assert row['rounds'] == row['rounds_planned'] == 4
        assert not row['stopped_by_budget']
        assert [p['iter'] for p in row['curve']] == [2, 4]
        seconds = [p['seconds'] for p in row['curve']]
        assert 0 < seconds[0] < seconds[1] <= row['seconds']
        final, selected = row['final'], row['val_selected']
        assert 0 <= final['test_accuracy'] <= 100
        assert final['ratio'] == pytest.approx(
            final['test_accuracy'] / teacher['test_accuracy'])
        assert final['val_accuracy'] == row['curve'][-1]['accuracy/top1']
        best = max(row['curve'], key=lambda p: p['accuracy/top1'])
        assert selected['iter'] == best['iter']
        assert selected['val_accuracy'] == best['accuracy/top1']
        if best['iter'] == 4:  # the best is the final student
            assert selected['test_accuracy'] == pytest.approx(
                final['test_accuracy'])
        # thresholds: reached exactly when a point crosses them
        for frac, key in ((0.9, 'seconds_to_90'), (0.95, 'seconds_to_95')):
            crossing = [p['seconds'] for p in row['curve']
                        if p['accuracy/top1'] >= frac *
                        teacher['val_accuracy']]
            assert row[key] == (crossing[0] if crossing else None)
        assert row['load']['mean'] >= 0
        # the run's config: the task's teacher, stretched, seeded
        with open(row['run_config']) as f:
            text = f.read()
        assert trained_teacher in text and 'ValCurveHook' in text
        grid = cv2.imread(row['grid'])
        assert grid is not None and grid.shape[0] > 8
    table = (work / 'summary.md').read_text()
    for name, row in on_disk['methods'].items():
        assert f"| {name} | 4/4 | " in table
        assert f"{row['final']['test_accuracy']:.2f}" in table
    plot = cv2.imread(on_disk['plot'])
    grids = cv2.imread(on_disk['grids'])
    assert plot is not None and plot.shape[1] > plot.shape[0]
    assert grids is not None
    # an earlier summary fixes the rounds of a later comparison
    args = tool.parse_args(['digits', '--methods', 'dfq', '--rounds',
                            str(work / 'summary.json')])
    assert args.planned == {'dfq': 4}


def test_probe_plans_rounds_and_the_budget_caps_them(tool, trained_teacher,
                                                     tmp_path, one_thread):
    work = tmp_path / 'quality'
    summary = tool.main([
        'digits', '--methods', 'dfad', '--budget', '3', '--probe-seconds',
        '1', '--val-points', '2', '--teacher-ckpt', trained_teacher,
        '--work-dir', str(work), '--cfg-options', *TINY
    ])
    row = summary['methods']['dfad']
    probe = row['probe']
    assert probe['rounds'] >= 2 and probe['clock'] == 'cpu'
    assert probe['seconds_per_round'] > 0
    assert row['rounds_planned'] == probe['planned'] == max(
        1, int(3 / probe['seconds_per_round']))
    assert 1 <= row['rounds'] <= row['rounds_planned']
    # stopped by the CPU budget, or ended just under it
    if row['stopped_by_budget']:
        # the budget hook's clock and the row's CPU seconds are read at
        # different points of the stopping iteration (measured 2.99 s once)
        assert row['cpu_seconds'] >= 3 * 0.95
        # the stopped student was validated before the export
        assert row['curve'][-1]['iter'] == row['rounds']
    assert row['final']['test_accuracy'] >= 0


def test_a_staged_schedule_is_probed_stage_by_stage(tool, trained_teacher,
                                                   tmp_path, one_thread,
                                                   capsys):
    """RDSKD's generator-only and student-only rounds cost different
    times: each stage is timed and the plan weighs them by their shares
    (timing the first stage alone used 704 of 1,200 CPU s once)."""
    work = tmp_path / 'quality'
    summary = tool.main([
        'digits', '--methods', 'rdskd', '--budget', '2', '--probe-seconds',
        '1', '--val-points', '1', '--teacher-ckpt', trained_teacher,
        '--work-dir', str(work), '--cfg-options', *TINY
    ])
    row = summary['methods']['rdskd']
    probe = row['probe']
    generator, student = probe['stages']
    assert (generator['share'], student['share']) == (0.25, 0.75)
    for stage in (generator, student):
        assert stage['rounds'] >= 2 and stage['seconds_per_round'] > 0
    per_round = (0.25 * generator['seconds_per_round'] +
                 0.75 * student['seconds_per_round'])
    assert probe['seconds_per_round'] == pytest.approx(per_round)
    assert row['rounds_planned'] == probe['planned'] == max(
        1, int(2 / per_round))
    assert probe['rounds'] == generator['rounds'] + student['rounds']
    for i in (0, 1):
        assert (work / 'rdskd' / 'probe' / f'stage_{i}' /
                'config.py').is_file()
    # a second report into the same folder is refused, the stages named
    capsys.readouterr()
    with pytest.raises(SystemExit):
        tool.parse_args(['digits', '--methods', 'rdskd', '--work-dir',
                         str(work)])
    err = capsys.readouterr().err
    assert 'rdskd/probe/stage_0' in err and 'rdskd/probe/stage_1' in err


def test_dry_run_builds_every_method_and_trains_nothing(
        tool, trained_teacher, tmp_path, capsys):
    """--dry-run checks a command: the teacher and each named method's
    config (its runner, teacher weights and data) as the report would run
    them; nothing is trained or written, and an error of a method's config
    shows at once."""
    work = tmp_path / 'quality'
    out = tool.main(['digits', '--methods', 'dfq', 'deepinv', 'kd',
                     '--rounds', '5', '--teacher-ckpt', trained_teacher,
                     '--work-dir', str(work), '--dry-run'])
    assert out['dry_run'] and out['teacher']['found']
    assert {m: r['rounds_planned'] for m, r in out['methods'].items()} == {
        'dfq': 5, 'deepinv': 5, 'kd': 5}
    assert not work.exists()  # nothing trained, nothing written
    printed = capsys.readouterr().out
    assert f'{trained_teacher} loads' in printed
    assert 'dry run ok' in printed
    # a probe plans the rounds later; a missing teacher would be trained
    out = tool.main(['digits', '--methods', 'dfad', '--teacher-ckpt',
                     str(tmp_path / 'none.pth'), '--work-dir', str(work),
                     '--dry-run'])
    assert not out['teacher']['found']
    assert out['methods']['dfad']['rounds_planned'].startswith('a probe')
    assert 'the run trains it first' in capsys.readouterr().out
    assert not (tmp_path / 'none.pth').exists() and not work.exists()
    # the teacher's weights must fit the method config's teacher
    with pytest.raises(Exception, match='size mismatch|shape'):
        tool.main(['digits', '--methods', 'dfq', '--teacher-ckpt',
                   trained_teacher, '--work-dir', str(work), '--dry-run',
                   '--cfg-options', 'model.teacher.backbone.widths=[8,8,8]'])


def test_dry_runs_of_one_second_in_one_process(tool, trained_teacher,
                                               tmp_path, monkeypatch):
    """The doc test runs a document's dry runs in one process. mmengine
    names a run by its start second and keeps one visualizer per name:
    a later dry run's runner got an earlier one's, whose temporary folder
    was gone, and failed writing its config there."""
    from mmengine.runner import runner as runner_module

    class OneSecond:
        """The time module, every run started in the same second."""

        def __getattr__(self, name):
            return getattr(time, name)

        def strftime(self, fmt, t=None):
            return '20261207_000000'

    monkeypatch.setattr(runner_module, 'time', OneSecond())
    for _ in range(2):
        out = tool.main(['digits', '--methods', 'dfq', '--rounds', '2',
                         '--teacher-ckpt', trained_teacher, '--work-dir',
                         str(tmp_path / 'quality'), '--dry-run'])
        assert out['methods']['dfq']['rounds_planned'] == 2
