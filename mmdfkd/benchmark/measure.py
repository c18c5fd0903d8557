"""Timing and peak-memory measurement for ``tools/benchmark.py``.

Method and floor runs alternate inside every repeat (on a shared machine
the load then hits both alike), and the medians are compared.
"""
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch

Step = Callable[[], None]


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def interleaved_times(steps: Dict[str, Step],
                      repeats: int,
                      warmup: int = 1,
                      device: torch.device = torch.device('cpu'),
                      progress: Optional[Callable[[str], None]] = None,
                      clock: str = 'wall'
                      ) -> Tuple[Dict[str, List[float]],
                                 Dict[str, Optional[float]]]:
    """Run every step once per repeat, in an order rotated each repeat;
    return each step's times in milliseconds and its peak memory in MiB
    (:func:`peak_memory_mb`, taken on the step's first run).

    Args:
        steps (dict[str, callable]): Name → step to time.
        repeats (int): Timed runs of each step.
        warmup (int): Untimed runs of each step first. Defaults to 1.
        device (torch.device): Synchronised around each run.
            Defaults to CPU.
        progress (callable, optional): Called with a line after the
            warm-up and after each repeat. Defaults to None.
        clock (str): ``'wall'`` (elapsed time) or ``'cpu'`` (CPU time of
            this process, all threads: on a machine shared with other
            jobs it counts only this process's work, so method/floor
            ratios stay meaningful under load; idle OpenMP threads that
            spin are counted too). Defaults to ``'wall'``.
    """
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    if clock not in CLOCKS:
        raise ValueError(f'clock must be one of {sorted(CLOCKS)}, got '
                         f'{clock!r}')
    now = CLOCKS[clock]
    names = list(steps)
    peaks: Dict[str, Optional[float]] = {}

    def run(name: str) -> None:
        if name in peaks:
            steps[name]()
        else:
            peaks[name] = peak_memory_mb(steps[name], device)

    for _ in range(warmup):
        for name in names:
            run(name)
    if progress:
        progress(f'warm-up done ({warmup} run(s) of {len(names)} steps)')
    times: Dict[str, List[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            synchronize(device)
            start = now()
            run(name)
            synchronize(device)
            times[name].append((now() - start) * 1e3)
        if progress:
            progress(f'repeat {r + 1}/{repeats} done')
    return times, peaks


def median(values: List[float]) -> float:
    return float(statistics.median(values))


def _read_status_kb(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets the peak resident set size (Linux)
        return True
    except OSError:
        return False


def peak_memory_mb(step: Step, device: torch.device) -> Optional[float]:
    """Peak memory while ``step`` runs once, in MiB.

    On CUDA: the peak of allocated device memory. On CPU: how far the
    resident set size of the process rose above its level before the step
    (the peak is reset through ``/proc/self/clear_refs``); memory the
    allocator kept from earlier steps is reused without showing, so this
    is a lower bound. None where the platform cannot reset the peak.
    """
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        synchronize(device)
        return torch.cuda.max_memory_allocated(device) / 2**20
    if not _reset_hwm():
        return None
    before = _read_status_kb('VmRSS')
    step()
    peak = _read_status_kb('VmHWM')
    if peak is None or before is None:
        return None
    return (peak - before) / 1024
