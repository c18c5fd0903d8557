import datetime
import time
from typing import Optional, Sequence

from mmengine.hooks import Hook, LoggerHook

from mmdfkd.registry import HOOKS


def _duration(seconds: float) -> str:
    return str(datetime.timedelta(seconds=int(round(seconds))))


@HOOKS.register_module()
class ProgressHook(Hook):
    """Log the first training rounds early, with the time per round and the
    ETA, and warn once when the run is sized for a GPU but runs on a CPU.

    ``LoggerHook`` logs every ``interval`` rounds (50 in the data-free
    runtime); at several minutes per round (the segmentation configs on a
    CPU) its first line comes after hours. This hook logs when training
    starts and after the rounds in ``rounds`` that come before the
    logger's first line. It only reads the runner's state and the clock.

    Args:
        rounds (Sequence[int]): Rounds (1-based, counted from the start or
            the resume point) to log after. Defaults to (1, 2, 3, 5, 10,
            20).
        cpu_warning_hours (float): Warn when the model is on a CPU and the
            projected time of the whole run exceeds this many hours.
            Defaults to 12.
    """
    priority = 'BELOW_NORMAL'

    def __init__(self,
                 rounds: Sequence[int] = (1, 2, 3, 5, 10, 20),
                 cpu_warning_hours: float = 12.0) -> None:
        self.rounds = frozenset(int(r) for r in rounds)
        self.cpu_warning_hours = float(cpu_warning_hours)
        self._start: Optional[float] = None
        self._first_iter = 0
        self._warned = False

    def _logger_interval(self, runner) -> Optional[int]:
        for hook in runner.hooks:
            if isinstance(hook, LoggerHook):
                return hook.interval
        return None

    def _device(self, runner) -> str:
        params = next(iter(runner.model.parameters()), None)
        return 'cpu' if params is None else params.device.type

    def before_train(self, runner) -> None:
        self._first_iter = runner.iter
        self._start = None
        runner.logger.info(
            f'training: rounds {runner.iter + 1} to {runner.max_iters} on '
            f'{self._device(runner)}; the first rounds are logged as they '
            'end')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self._start is None:
            self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        done = runner.iter + 1 - self._first_iter  # rounds run here
        interval = self._logger_interval(runner)
        if done not in self.rounds or (interval is not None
                                       and done >= interval):
            return
        per_round = (time.perf_counter() - self._start) / done
        eta = _duration(per_round * (runner.max_iters - runner.iter - 1))
        runner.logger.info(
            f'round {runner.iter + 1}/{runner.max_iters}: '
            f'{per_round:.2f} s per round, ETA {eta}')
        total = per_round * (runner.max_iters - self._first_iter)
        if (not self._warned and self._device(runner) == 'cpu'
                and total > self.cpu_warning_hours * 3600):
            self._warned = True
            runner.logger.warning(
                f'this run is sized for a GPU: on this CPU its '
                f'{runner.max_iters - self._first_iter} rounds take about '
                f'{_duration(total)} ({per_round:.1f} s each). Run it where '
                'CUDA is available, or shorten it (e.g. --cfg-options '
                'train_cfg.max_iters=<rounds>).')
