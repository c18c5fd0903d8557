"""Bounded subprocesses for tests: a command and everything it starts
(torchrun's workers, a tool's children) end with the test, even on a
timeout."""
import os
import signal
import socket
import subprocess


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_bounded(args, timeout: float,
                **kwargs) -> subprocess.CompletedProcess:
    """Like ``subprocess.run(args, timeout=timeout, **kwargs)``, but the
    command runs in its own process group, which is killed when the command
    ends or times out: ``subprocess.run`` kills only the direct child, and
    e.g. torchrun's workers would live on, holding ports and CPU.

    Args:
        args: The command, as for :func:`subprocess.run`.
        timeout (float): Seconds before the group is killed and
            ``subprocess.TimeoutExpired`` raised.
        **kwargs: Other :class:`subprocess.Popen` arguments
            (``capture_output`` and ``input`` as in ``subprocess.run``).
    """
    if kwargs.pop('capture_output', False):
        kwargs['stdout'] = kwargs['stderr'] = subprocess.PIPE
    check = kwargs.pop('check', False)
    data = kwargs.pop('input', None)
    if data is not None:
        kwargs['stdin'] = subprocess.PIPE
    with subprocess.Popen(args, start_new_session=True, **kwargs) as proc:
        try:
            out, err = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.communicate()
            raise
        finally:
            _kill_group(proc.pid)
    result = subprocess.CompletedProcess(args, proc.returncode, out, err)
    if check:
        result.check_returncode()
    return result
