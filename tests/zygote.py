"""A fork server for the tests' ``python`` commands.

Each ``python`` process of a test spends ~4 CPU seconds importing torch
and the OpenMMLab stack before its first line of work: most of the CPU of
a documented command run on tiny data. A :class:`Zygote` imports them once
(``torch`` and ``mmdfkd``, from the import path of the environment it is
given) and puts a ``python`` first on that environment's ``PATH`` which
hands its command to the zygote. The zygote forks, and the fork runs the
command as ``python`` would: its own argv, working directory, environment,
stdin/stdout/stderr, ``__main__`` module and ``sys.path[0]``, its exit
status passed back. Each command is a fresh fork of the same state, so no
command sees another's.

A fork's ``sys.executable`` is that ``python``, so that what it starts
with it is forked too (torchrun's workers). What a zygote does not run
(the real interpreter does, with the same argv): options other than
``-u``, ``-c`` and ``-m``, a missing script, and a command whose
environment differs from the zygote's in a variable other than
:data:`RUNTIME_ENV` (it may be read at import: ``OMP_NUM_THREADS``, ...;
``PYTHONPATH`` may name the same folders otherwise). Killing the
``python`` shim kills the fork's process group (a test's timeout); a
fork's leftover children are killed when it ends, and the forks still
running when the zygote ends, as :func:`tests.process.run_bounded` does
for a command's group.
"""
import json
import os
import os.path as osp
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from typing import Dict, Optional, Sequence

#: Variables that may differ between a command's environment and the
#: zygote's (also any ``TORCHELASTIC_*``): bash sets the first four per
#: command, tools/dist_train.sh reads the next two, torchrun sets those of
#: its workers; nothing reads them at import.
RUNTIME_ENV = frozenset({
    'PWD', 'OLDPWD', 'SHLVL', '_', 'PORT', 'PYTHON', 'DOC_DRY_RUNS', 'RANK',
    'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK',
    'GROUP_WORLD_SIZE', 'ROLE_RANK', 'ROLE_NAME', 'ROLE_WORLD_SIZE',
    'MASTER_ADDR', 'MASTER_PORT', 'TORCH_NCCL_ASYNC_ERROR_HANDLING'
})
#: The shim's variable naming the zygote's socket.
SOCKET_VAR = 'MMDFKD_TEST_ZYGOTE'

#: The ``python`` a zygote puts on the PATH: :data:`SHIM` run by the real
#: interpreter (a shell script: a shebang line's length is limited).
LAUNCHER = '#!/bin/sh\nexec {real} -IS {shim} "$@"\n'
#: Hands a command to the zygote (``{real}``: the interpreter).
SHIM = textwrap.dedent('''\
    """python, forked from a zygote that imported torch (tests/zygote.py)."""
    import json, os, signal, socket, sys
    REAL = {real!r}
    argv = sys.argv[1:]
    path = os.environ.get({var!r})
    rest = argv[1:] if argv[:1] == ['-u'] else argv
    if not path or not (rest[:1] in (['-c'], ['-m']) and len(rest) > 1
                        or rest and os.path.isfile(rest[0])):
        os.execv(REAL, [REAL] + argv)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(path)
    except OSError:
        os.execv(REAL, [REAL] + argv)
    request = json.dumps(dict(argv=argv, cwd=os.getcwd(),
                              env=dict(os.environ))).encode()
    socket.send_fds(sock, [b'R'], [0, 1, 2])
    sock.sendall(len(request).to_bytes(8, 'big') + request)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, f: sock.sendall(b'%d\\n' % n))
    reply = b''
    while not reply.endswith(b'\\n'):
        chunk = sock.recv(64)
        if not chunk:
            sys.exit(1)
        reply += chunk
    kind, value = reply.split()
    if kind == b'fallback':
        sock.close()
        os.execv(REAL, [REAL] + argv)
    if kind == b'signal':  # end as the fork did
        if int(value) != signal.SIGKILL:
            signal.signal(int(value), signal.SIG_DFL)
        os.kill(os.getpid(), int(value))
    sys.exit(int(value))
''')

#: The zygote: imports, then serves until killed; in a fork, returns from
#: ``serve`` and runs the command as ``python`` would.
SERVER = textwrap.dedent('''
    import gc, io, json, os, runpy, select, signal, socket, sys, types
    path, python, modules = sys.argv[1], sys.argv[2], sys.argv[3:]
    RUNTIME_ENV = set(json.loads(os.environ.pop('MMDFKD_ZYGOTE_RUNTIME')))
    OWN_ENV = dict(os.environ)
    OWN_CWD = os.getcwd()
    for name in modules:
        __import__(name)
    # what the imports set (torch, cv2): a command's imports would too
    IMPORTS_SET = {k: os.environ.get(k) for k in set(os.environ) | set(OWN_ENV)
                   if os.environ.get(k) != OWN_ENV.get(k)}
    # the imported objects live as long as the process: collections that
    # skip them cost ~0 instead of ~0.2 CPU s (mmengine's datasets collect)
    gc.freeze()

    def import_path(value, cwd):
        out = []
        for entry in (value or '').split(os.pathsep):
            entry = os.path.normpath(os.path.join(cwd, entry))
            if entry not in out:
                out.append(entry)
        return out

    def differs(env, cwd):
        keys = (set(env) ^ set(OWN_ENV)) | {
            k for k in env if k in OWN_ENV and env[k] != OWN_ENV[k]}
        # a fork's children inherit what the imports set
        keys = {k for k in keys - RUNTIME_ENV
                if not k.startswith('TORCHELASTIC_') and not (
                    k in IMPORTS_SET and env.get(k) == IMPORTS_SET[k])}
        # the same folders spelled otherwise (tools/dist_train.sh's
        # "$(dirname "$0")/..")
        if 'PYTHONPATH' in keys and import_path(
                env.get('PYTHONPATH'), cwd) == import_path(
                    OWN_ENV.get('PYTHONPATH'), OWN_CWD):
            keys.discard('PYTHONPATH')
        return keys

    def read_exactly(conn, size):
        data = b''
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:  # the shim died before it asked
                raise ConnectionError
            data += chunk
        return data

    def read_request(conn):
        _, fds, _, _ = socket.recv_fds(conn, 1, 3)
        try:
            size = int.from_bytes(read_exactly(conn, 8), 'big')
            return json.loads(read_exactly(conn, size)), fds
        except ConnectionError:
            for fd in fds:
                os.close(fd)
            raise

    def kill_group(pid, sig=signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def serve():
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path + '.tmp')
        listener.listen(64)
        os.rename(path + '.tmp', path)  # ready
        forks = {}  # conn -> pid
        orphans = set()  # pids whose shim died

        def stop(signum, frame):  # the zygote's end ends its forks
            for pid in [*forks.values(), *orphans]:
                kill_group(pid)
            os._exit(0)

        signal.signal(signal.SIGTERM, stop)
        while True:
            ready, _, _ = select.select([listener, *forks], [], [], 0.05)
            for conn in ready:
                if conn is listener:
                    conn, _ = listener.accept()
                    try:
                        request, fds = read_request(conn)
                    except ConnectionError:
                        conn.close()
                        continue
                    keys = differs(request['env'], request['cwd'])
                    print('fallback' if keys else 'fork', sorted(keys),
                          [a[:80] for a in request['argv'][:2]], flush=True)
                    if keys:
                        conn.sendall(b'fallback 0\\n')
                        conn.close()
                        for fd in fds:
                            os.close(fd)
                        continue
                    pid = os.fork()
                    if pid == 0:
                        listener.close()
                        for other in forks:
                            other.close()
                        conn.close()
                        os.setpgid(0, 0)
                        for target, fd in enumerate(fds):
                            os.dup2(fd, target)
                            os.close(fd)
                        return request
                    for fd in fds:
                        os.close(fd)
                    forks[conn] = pid
                else:  # the shim forwards a signal, or died
                    data = conn.recv(64)
                    sig = int(data) if data.strip() else signal.SIGKILL
                    kill_group(forks[conn], sig)
                    if not data:
                        orphans.add(forks.pop(conn))
                        conn.close()
            for pid in list(orphans):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    orphans.discard(pid)
            for conn, pid in list(forks.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    kill_group(pid)
                    if os.WIFSIGNALED(status):
                        reply = b'signal %d\\n' % os.WTERMSIG(status)
                    else:
                        reply = b'exit %d\\n' % os.WEXITSTATUS(status)
                    try:
                        conn.sendall(reply)
                    except OSError:
                        pass
                    conn.close()
                    forks.pop(conn)

    request = serve()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.default_int_handler
                      if sig == signal.SIGINT else signal.SIG_DFL)
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    for key, value in IMPORTS_SET.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    sys.argv = list(request['argv'])
    del request, serve
    # the python that ran it: what it starts with sys.executable (torchrun
    # its workers) is forked too
    sys.executable = python
    if sys.argv[0] == '-u':
        sys.argv.pop(0)
        for name in ('stdout', 'stderr'):
            stream = getattr(sys, name)
            setattr(sys, name, io.TextIOWrapper(
                open(stream.fileno(), 'wb', buffering=0, closefd=False),
                encoding=stream.encoding, errors=stream.errors,
                write_through=True))
    if sys.argv[0] == '-m':
        sys.argv.pop(0)
        sys.path[0] = os.getcwd()
        runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)
    else:
        main = types.ModuleType('__main__')
        main.__builtins__ = __builtins__
        if sys.argv[0] == '-c':
            source, filename = sys.argv.pop(1), '<string>'
            sys.path[0] = ''
        else:
            filename = sys.argv[0]
            with open(filename, 'rb') as f:
                source = f.read()
            main.__file__ = filename
            sys.path[0] = os.path.dirname(os.path.abspath(filename))
        sys.modules['__main__'] = main
        exec(compile(source, filename, 'exec'), main.__dict__)
''')


class Zygote:
    """A fork server for ``python`` commands run with :meth:`env`.

    Args:
        env (dict): The environment of the zygote, and the base of the
            commands' (:meth:`env`).
        modules (Sequence[str]): What it imports before forking. Defaults
            to ``('torch', 'mmdfkd')``.
        timeout (float): Seconds to wait for its imports. Defaults to 120.
    """

    def __init__(self, env: Dict[str, str],
                 modules: Sequence[str] = ('torch', 'mmdfkd'),
                 timeout: float = 120.) -> None:
        # its socket, shim and log (a short path: sockets' are limited)
        self.folder = tempfile.mkdtemp(prefix='zygote')
        self.socket = osp.join(self.folder, 'zygote.sock')
        self.base_env = dict(env)
        self.modules = list(modules)
        self.timeout = timeout
        self.proc: Optional[subprocess.Popen] = None
        #: The zygote's output once it has ended: a line per command, how
        #: it ran ('fork' or 'fallback', with the variables that differed)
        self.log = ''

    @property
    def python(self) -> str:
        """The shim: ``python`` served by this zygote."""
        return osp.join(self.folder, 'bin', 'python')

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The environment of commands served by this zygote: its own, its
        shim first on the ``PATH``, plus ``extra``."""
        env = dict(self.base_env, **(extra or {}))
        env['PATH'] = osp.join(self.folder, 'bin') + os.pathsep + env['PATH']
        env[SOCKET_VAR] = self.socket
        return env

    def __enter__(self) -> 'Zygote':
        os.makedirs(osp.join(self.folder, 'bin'), exist_ok=True)
        shim = osp.join(self.folder, 'shim.py')
        with open(shim, 'w') as f:
            f.write(SHIM.format(real=sys.executable, var=SOCKET_VAR))
        with open(self.python, 'w') as f:
            f.write(LAUNCHER.format(real=shlex.quote(sys.executable),
                                    shim=shlex.quote(shim)))
        os.chmod(self.python, 0o755)
        # what the zygote compares a command's environment against
        env = self.env()
        env['MMDFKD_ZYGOTE_RUNTIME'] = json.dumps(sorted(RUNTIME_ENV))
        with open(osp.join(self.folder, 'zygote.log'), 'w') as log:
            self.proc = subprocess.Popen(
                [sys.executable, '-c', SERVER, self.socket, self.python,
                 *self.modules],
                env=env, cwd=self.folder, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while not osp.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                with open(osp.join(self.folder, 'zygote.log')) as f:
                    log = f.read()[-3000:]
                self.__exit__()
                raise RuntimeError(f'the zygote did not start:\n{log}')
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        self.proc.terminate()  # it kills the forks still running
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None
        with open(osp.join(self.folder, 'zygote.log')) as f:
            self.log = f.read()
        shutil.rmtree(self.folder, ignore_errors=True)
