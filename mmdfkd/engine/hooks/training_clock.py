"""Training time of a run, validation excluded: wall-clock and CPU."""
import time
from typing import Tuple


class TrainingClock:
    """Wall-clock (``time.perf_counter``) and process CPU time
    (``time.process_time``, all threads) since :meth:`start`, less the time
    spent between :meth:`pause` and :meth:`resume` (validation): methods
    that validate more often are not charged for it. The CPU time counts
    only this process's work, so it varies less than the wall-clock time
    when other jobs share the machine.
    """

    def __init__(self) -> None:
        self._start = None
        self._paused_at = None
        self._excluded = (0.0, 0.0)

    @staticmethod
    def _now() -> Tuple[float, float]:
        return time.perf_counter(), time.process_time()

    @property
    def started(self) -> bool:
        return self._start is not None

    def start(self) -> None:
        self._start = self._now()
        self._paused_at = None
        self._excluded = (0.0, 0.0)

    def pause(self) -> None:
        if self._start is not None and self._paused_at is None:
            self._paused_at = self._now()

    def resume(self) -> None:
        if self._paused_at is None:
            return
        now = self._now()
        self._excluded = tuple(
            e + n - p
            for e, n, p in zip(self._excluded, now, self._paused_at))
        self._paused_at = None

    def read(self) -> Tuple[float, float]:
        """(wall seconds, CPU seconds) of training so far; while paused,
        up to the pause."""
        if self._start is None:
            return 0.0, 0.0
        now = self._paused_at or self._now()
        return tuple(
            n - s - e for n, s, e in zip(now, self._start, self._excluded))
