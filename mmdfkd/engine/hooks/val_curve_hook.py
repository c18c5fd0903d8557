import json
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from .training_clock import TrainingClock


@HOOKS.register_module()
class ValCurveHook(Hook):
    """Records every validation's metrics against the training time spent
    so far (wall-clock and CPU seconds, validation excluded) and writes
    them as JSON under the work dir: the learning curve that
    ``tools/benchmark_quality.py`` plots and reads times to thresholds
    from. It only observes.

    The file, rewritten after every validation and at the end, holds
    ``points`` (``iter``, ``seconds``, ``cpu_seconds`` and the metrics),
    and at the end ``rounds`` (iterations run), ``max_iters``,
    ``seconds``, ``cpu_seconds``, ``first_round_seconds`` and
    ``first_round_cpu_seconds`` (the first iteration, its set-up included)
    and ``best_ckpt`` (the runner's best
    checkpoint, when a ``CheckpointHook`` keeps one).

    Args:
        out_file (str): File name under the work dir. Defaults to
            ``'val_curve.json'``.
    """
    priority = 'LOW'

    def __init__(self, out_file: str = 'val_curve.json') -> None:
        self.out_file = out_file
        self.clock = TrainingClock()
        self.points = []
        self.first_round: Optional[tuple] = None

    def before_train(self, runner) -> None:
        self.clock.start()
        self.points = []
        self.first_round = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.first_round is None:
            self.first_round = self.clock.read()

    def before_val(self, runner) -> None:
        self.clock.pause()

    def after_val_epoch(self, runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not self.clock.started:  # a validation outside training
            return
        seconds, cpu = self.clock.read()
        point = dict(iter=runner.iter, seconds=seconds, cpu_seconds=cpu)
        point.update({k: float(v) for k, v in (metrics or {}).items()
                      if isinstance(v, (int, float))})
        self.points.append(point)
        self._write(runner)

    def after_val(self, runner) -> None:
        self.clock.resume()

    def after_train(self, runner) -> None:
        seconds, cpu = self.clock.read()
        self._write(
            runner,
            rounds=runner.iter,
            max_iters=runner.max_iters,
            seconds=seconds,
            cpu_seconds=cpu,
            first_round_seconds=(self.first_round or (None, None))[0],
            first_round_cpu_seconds=(self.first_round or (None, None))[1],
            best_ckpt=runner.message_hub.get_info('best_ckpt'))

    def _write(self, runner, **extra) -> None:
        if not is_main_process():
            return
        with open(osp.join(runner.work_dir, self.out_file), 'w') as f:
            json.dump(dict(points=self.points, **extra), f, indent=1)
