"""Commands run as bounded subprocesses inside one time budget, for
``tools/gpu_check.py``: a command that outlives its limit is killed with
everything it started, and its output stays in one log."""
import os
import os.path as osp
import signal
import subprocess
import time
from typing import Dict, List, Optional


class PartRunner:
    """Runs the parts' commands as bounded subprocesses within one time
    budget, appending their output to ``gpu_check.log``.

    Args:
        root (str): The repository: the commands' working directory,
            first on their ``PYTHONPATH``.
        out_dir (str): Output folder (``work/`` inside it holds the work
            dirs, data and the benchmarks' JSON).
        budget_s (float): Seconds for everything.
    """

    def __init__(self, root: str, out_dir: str, budget_s: float) -> None:
        self.work = osp.join(out_dir, 'work')
        os.makedirs(self.work, exist_ok=True)
        self.log = osp.join(out_dir, 'gpu_check.log')
        self.deadline = time.monotonic() + budget_s
        self.root = root
        self.env = dict(os.environ, PYTHONUNBUFFERED='1')
        self.env['PYTHONPATH'] = os.pathsep.join(
            [root] + [p for p in self.env.get('PYTHONPATH', '').split(
                os.pathsep) if p])
        for key in ('LOCAL_RANK', 'RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                    'MASTER_PORT'):
            self.env.pop(key, None)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, name: str, args: List[str], timeout: float,
            env: Optional[Dict[str, str]] = None) -> dict:
        """Run ``args`` in the repository root for at most ``timeout``
        seconds (and never past the budget); its output goes to the log.
        Returns ``rc`` (None when killed at its limit), ``seconds``,
        ``max_rss_mb`` (the process's peak resident set) and ``output``."""
        if self.left() <= 1:
            raise TimeoutError('no time left in the budget')
        limit = min(timeout, self.left())
        start = time.monotonic()
        with open(self.log, 'a') as log:
            log.write(f'\n===== {name}: {" ".join(args)}\n')
            log.flush()
            mark = log.tell()
            proc = subprocess.Popen(
                args, cwd=self.root, env=dict(self.env, **(env or {})),
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
            rc, usage = None, None
            while time.monotonic() - start < limit:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    rc = os.waitstatus_to_exitcode(status)
                    break
                time.sleep(0.2)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if rc is None:
                os.wait4(proc.pid, 0)
            proc.returncode = -9 if rc is None else rc
        with open(self.log) as log:
            log.seek(mark)
            output = log.read()
        return dict(rc=rc, seconds=time.monotonic() - start,
                    max_rss_mb=(usage.ru_maxrss / 1024 if rc is not None
                                else None), output=output)


def checked(result: dict, what: str) -> dict:
    """``result`` of :meth:`PartRunner.run`, or an error naming ``what``."""
    if result['rc'] is None:
        raise TimeoutError(f'{what} ran past its limit '
                           f"({result['seconds']:.0f} s)")
    if result['rc'] != 0:
        raise RuntimeError(f"{what} exited with {result['rc']}")
    return result


def log_tail(path: str, chars: int = 3000) -> str:
    with open(path) as f:
        return f.read()[-chars:]
