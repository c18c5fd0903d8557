"""The tests' fork server runs a ``python`` command as the interpreter
would, in a fresh fork per command, and hands the rest to the real one."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.process import free_port
from tests.test_process import alive
from tests.zygote import Zygote

SCRIPT = '''
import atexit, json, os, sys
state = sys.modules.get('json')
print(json.dumps(dict(
    name=__name__, file=__file__, argv=sys.argv, path0=sys.path[0],
    cwd=os.getcwd(), env=os.environ.get('ZYGOTE_TEST'),
    seen=getattr(state, 'zygote_mark', None), stdin=sys.stdin.read())))
state.zygote_mark = 'set by an earlier command'
atexit.register(lambda: print('atexit ran', end=''))
sys.exit(int(sys.argv[1]))
'''


@pytest.fixture
def zygote(tmp_path):
    env = dict(os.environ, ZYGOTE_TEST='base', PYTHONPATH=str(tmp_path))
    with Zygote(env, modules=('json', )) as z:
        yield z


def run(zygote, command, cwd, extra=None, **kwargs):
    return subprocess.run(['bash', '-c', command], cwd=cwd,
                          env=zygote.env(extra), capture_output=True,
                          text=True, timeout=60, **kwargs)


def test_a_script_runs_as_python_runs_it_in_a_fresh_fork(zygote, tmp_path):
    import json
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'tool.py').write_text(SCRIPT)
    outs = []
    for code in (0, 3):
        proc = run(zygote, f'echo in | python tools/tool.py {code} "a b"',
                   tmp_path, dict(PWD='/elsewhere'))
        assert proc.returncode == code, proc.stderr
        line, tail = proc.stdout.split('\n')
        assert tail == 'atexit ran'
        outs.append(json.loads(line))
    for out, code in zip(outs, ('0', '3')):
        assert out == dict(
            name='__main__', file='tools/tool.py',
            argv=['tools/tool.py', code, 'a b'],
            path0=str(tmp_path / 'tools'), cwd=str(tmp_path), env='base',
            seen=None, stdin='in\n')
    zygote.__exit__()
    assert zygote.log.count('fork []') == 2


def test_c_errors_signals_and_what_the_real_interpreter_runs(
        zygote, tmp_path):
    proc = run(zygote, 'python -c "raise ValueError(7)"', tmp_path)
    assert proc.returncode == 1
    assert 'ValueError: 7' in proc.stderr
    proc = run(zygote, 'python -c "import os; os.kill(os.getpid(), 9)"; '
               'echo $?', tmp_path)
    assert proc.stdout == f'{128 + 9}\n'  # bash's status of a SIGKILLed child
    # another value of a variable read at import: the real interpreter
    proc = run(zygote, 'python -c "import os; print(os.getppid())"',
               tmp_path, dict(ZYGOTE_TEST='other'))
    assert proc.returncode == 0
    proc = run(zygote, 'python -u -m json.tool <<< "[1]"', tmp_path)
    assert proc.stdout.split() == ['[', '1', ']']
    proc = run(zygote, 'python missing.py', tmp_path)
    assert proc.returncode == 2 and "can't open file" in proc.stderr
    proc = run(zygote, 'python -B -c "print(1)"', tmp_path)
    assert proc.stdout == '1\n'
    zygote.__exit__()
    assert zygote.log.count('fork []') == 3
    assert "fallback ['ZYGOTE_TEST']" in zygote.log
    assert zygote.log.count('\n') == 4  # -B, a missing script: no ask


def test_killing_the_shim_kills_the_fork_and_its_children(zygote, tmp_path):
    pids = tmp_path / 'pids'
    code = ('import os, subprocess, time; '
            'p = subprocess.Popen(["sleep", "60"]); '
            f'open("{pids}", "w").write(f"{{os.getpid()}} {{p.pid}}"); '
            'time.sleep(60)')
    shim = subprocess.Popen([zygote.python, '-c', code], env=zygote.env(),
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(shim.pid, signal.SIGKILL)
    shim.wait()
    deadline = time.monotonic() + 10
    while any(alive(int(p)) for p in pids.read_text().split()):
        assert time.monotonic() < deadline, 'the fork outlived its shim'
        time.sleep(0.05)


def test_a_shim_that_dies_before_asking_is_forgotten(zygote, tmp_path):
    import socket
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(zygote.socket)
        socket.send_fds(sock, [b'R'], [0, 1, 2])
        sock.sendall(b'\0\0')  # part of the request's length
    proc = run(zygote, 'python -c "print(2)"', tmp_path)
    assert proc.stdout == '2\n'


def test_the_zygote_ends_its_forks(tmp_path):
    pid_file = tmp_path / 'pid'
    with Zygote(dict(os.environ), modules=('json', )) as zygote:
        shim = subprocess.Popen([zygote.python, '-c', 'import os, time; '
                                 f'open("{pid_file}", "w").write('
                                 'str(os.getpid())); time.sleep(60)'],
                                env=zygote.env())
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, 'a fork outlived its zygote'
        time.sleep(0.05)
    shim.wait(timeout=10)


def test_the_shim_forwards_sigterm(zygote, tmp_path):
    shim = subprocess.Popen([zygote.python, '-c', 'import time; '
                             'print("up", flush=True); time.sleep(60)'],
                            env=zygote.env(), stdout=subprocess.PIPE)
    assert shim.stdout.readline() == b'up\n'
    shim.send_signal(signal.SIGTERM)
    assert shim.wait(timeout=30) == -signal.SIGTERM


def test_a_zygote_that_cannot_import_says_why(tmp_path):
    with pytest.raises(RuntimeError, match='no_such_module'):
        Zygote(dict(os.environ), modules=('no_such_module', ),
               timeout=60).__enter__()


def test_torchrun_and_its_workers_are_forked(zygote, tmp_path):
    """A fork's sys.executable is the shim: torchrun (python -m) starts
    its workers (python -u script, its variables in their environment)
    with it, and they are forked too; PYTHONPATH may name the same folder
    otherwise (tools/dist_train.sh's tools/..)."""
    (tmp_path / 'tools').mkdir()
    # one write per line: with -u, print writes its parts one by one, and
    # the two workers' lines interleaved on the shared pipe (seen in CI)
    (tmp_path / 'tools' / 'worker.py').write_text(
        'import os, sys\n'
        'sys.stdout.write(f\'{os.environ["RANK"]} {sys.executable}\\n\')\n')
    proc = run(zygote, 'PYTHONPATH=tools/..: python -m '
               'torch.distributed.run --nproc_per_node=2 '
               f'--master_port={free_port()} tools/worker.py', tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(proc.stdout.split('\n')[:2]) == [
        f'0 {zygote.python}', f'1 {zygote.python}']
    # the real interpreter's is its own
    proc = run(zygote, 'python -c "import sys; print(sys.executable)"',
               tmp_path, dict(ZYGOTE_TEST='other'))
    assert proc.stdout == f'{sys.executable}\n'
    zygote.__exit__()
    assert zygote.log.count('fork []') == 3, zygote.log
