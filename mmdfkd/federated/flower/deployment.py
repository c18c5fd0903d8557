"""A local Flower deployment on 127.0.0.1: a SuperLink and SuperNodes,
each in its own process group, with Flower's offline switches (the
end-to-end test's and ``tools/flower_vs_simulation.py``'s)."""
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import time
from typing import Dict, List

from mmdfkd.federated.data import ROOT

BIN = osp.dirname(sys.executable)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    """Wait until something listens on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f'nothing listens on 127.0.0.1:{port} after '
                       f'{timeout} s')


def offline_env(home: str) -> Dict[str, str]:
    """Flower's offline switches, its state under ``home``, and this
    checkout first on the path (the apps import mmdfkd)."""
    env = dict(os.environ)
    env.update(
        FLWR_HOME=home,
        FLWR_TELEMETRY_ENABLED='0',
        FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION='1',
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join(
            [ROOT] + [p for p in [env.get('PYTHONPATH')] if p]),
        PATH=os.pathsep.join([BIN, env.get('PATH', '')]))
    return env


class LocalDeployment:
    """SuperLink + ``num_nodes`` SuperNodes on 127.0.0.1 (insecure mode,
    for a trusted machine only); node i gets the node config
    ``partition-id=i num-partitions=num_nodes``. :meth:`stop` ends every
    process group it started and returns the groups still alive.

    Args:
        workdir (str): Where the logs and ``FLWR_HOME`` go.
        num_nodes (int): Number of SuperNodes (clients).
    """

    def __init__(self, workdir: str, num_nodes: int) -> None:
        self.workdir = workdir
        self.num_nodes = num_nodes
        self.home = osp.join(workdir, 'flwr_home')
        os.makedirs(self.home, exist_ok=True)
        self.env = offline_env(self.home)
        self.port = free_port()
        self.procs: List[subprocess.Popen] = []
        with open(osp.join(self.home, 'config.toml'), 'w') as f:
            f.write('[superlink]\ndefault = "local-test"\n\n'
                    '[superlink.local-test]\n'
                    f'address = "127.0.0.1:{self.port}"\ninsecure = true\n')

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log = open(osp.join(self.workdir, f'{name}.log'), 'w')
        proc = subprocess.Popen([osp.join(BIN, args[0])] + args[1:],
                                env=self.env,
                                cwd=self.workdir,
                                stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 60) -> None:
        # Flower's default in-memory state: with a SQLite file, 20 nodes
        # pushing replies at once on a loaded 2-core machine got 'database
        # is locked' errors and expired object-push sessions (measured)
        self._spawn('superlink', [
            'flower-superlink', '--insecure', '--host', '127.0.0.1',
            '--port', str(self.port)
        ])
        wait_for_port(self.port, timeout)
        for i in range(self.num_nodes):
            self._spawn(f'supernode{i}', [
                'flower-supernode', '--insecure', '--superlink',
                f'127.0.0.1:{self.port}', '--port',
                str(free_port()), '--node-config',
                f'partition-id={i} num-partitions={self.num_nodes}'
            ])

    def run(self, app: str, run_config: str, timeout: float) -> str:
        """``flwr run`` in the foreground (it exits 0 even when the run
        failed: check its outputs, not this)."""
        proc = subprocess.run([
            osp.join(BIN, 'flwr'), 'run', app, 'local-test', '--run-config',
            run_config, '--stream'
        ],
                              env=self.env,
                              cwd=ROOT,
                              capture_output=True,
                              text=True,
                              timeout=timeout,
                              start_new_session=True)
        return proc.stdout + proc.stderr

    def stop(self) -> List[int]:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # children (SuperExec, ServerApp, ClientApp processes) share their
        # parent's group; give them a moment, then kill what is left
        alive = []
        deadline = time.monotonic() + 10
        for proc in self.procs:
            while group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if group_alive(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)
                time.sleep(0.5)
                if group_alive(proc.pid):
                    alive.append(proc.pid)
        return alive

    def logs(self) -> str:
        out = []
        for name in sorted(os.listdir(self.workdir)):
            if name.endswith('.log'):
                with open(osp.join(self.workdir, name)) as f:
                    out.append(f'--- {name}\n{f.read()[-3000:]}')
        return '\n'.join(out)


def group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is left in group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # zombies (exited children not yet reaped by a dead parent) answer
    # the signal too; they hold no resources
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != 'Z':
            return True
    return False
