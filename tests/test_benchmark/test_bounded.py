"""PartRunner: bounded commands inside one budget, output in one log."""
import sys
import time

import pytest

from mmdfkd.benchmark.bounded import PartRunner, checked

SLEEPER = ('import subprocess, sys, time; '
           'p = subprocess.Popen([sys.executable, "-c", '
           '"import time; time.sleep(60)"]); '
           'print("child", p.pid, flush=True); time.sleep(60)')


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_output_rc_and_peak_memory(tmp_path):
    runner = PartRunner(str(tmp_path), str(tmp_path / 'out'), 60)
    res = runner.run('ok', [sys.executable, '-c',
                            'import os; print(os.getcwd())'], 30)
    assert res['rc'] == 0 and res['output'].strip() == str(tmp_path)
    assert res['max_rss_mb'] > 1
    res = runner.run('bad', [sys.executable, '-c', 'raise SystemExit(3)'],
                     30)
    assert res['rc'] == 3
    with pytest.raises(RuntimeError, match='exited with 3'):
        checked(res, 'the command')
    log = (tmp_path / 'out' / 'gpu_check.log').read_text()
    assert '===== ok:' in log and '===== bad:' in log


def test_a_command_past_its_limit_is_killed_with_its_children(tmp_path):
    runner = PartRunner(str(tmp_path), str(tmp_path / 'out'), 60)
    start = time.monotonic()
    res = runner.run('slow', [sys.executable, '-c', SLEEPER], 3)
    assert time.monotonic() - start < 20
    assert res['rc'] is None
    with pytest.raises(TimeoutError, match='ran past its limit'):
        checked(res, 'the command')
    # the command's own child was killed with it
    child = int(res['output'].split('child ')[1].split()[0])
    for _ in range(50):
        if not running(child):
            break
        time.sleep(0.1)
    assert not running(child)


def test_the_budget_bounds_every_command(tmp_path):
    runner = PartRunner(str(tmp_path), str(tmp_path / 'out'), 2)
    res = runner.run('slow', [sys.executable, '-c', 'import time; '
                              'time.sleep(30)'], 30)
    assert res['rc'] is None and res['seconds'] < 10
    with pytest.raises(TimeoutError, match='no time left'):
        runner.run('next', [sys.executable, '-c', 'pass'], 30)
