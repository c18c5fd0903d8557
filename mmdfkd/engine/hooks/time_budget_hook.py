import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from .training_clock import TrainingClock


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """Ends training once ``seconds`` of training time (validation
    excluded) are spent, then validates the student it stopped at unless
    the loop just did: a benchmark's hard cap
    (``tools/benchmark_quality.py``). The iteration in progress finishes,
    and the hooks that run after training (the student export) run as
    usual. It changes nothing in how the model computes.

    The state it stopped at is saved as the ``CheckpointHook`` saves a
    run's last iteration (``iter_<n>.pth`` in the work dir, named in its
    ``last_checkpoint``), since a stop before ``max_iters`` is not a last
    iteration for that hook: the generator and optimizers of a stopped run
    are kept, and ``--resume`` continues from them.

    Args:
        seconds (float): The budget.
        clock (str): ``'wall'`` (elapsed time) or ``'cpu'`` (this
            process's CPU time: on a machine shared with other jobs, far
            less dependent on the load than wall time, not independent of
            it: on 2 virtual cores at load 3.9 the same rounds cost 1.9×
            the CPU seconds of a quieter run). Defaults to ``'wall'``.
        save_checkpoint (bool): Save the state it stopped at. Defaults to
            True.
    """
    priority = 'HIGH'  # validate before the other hooks' after_train
    CLOCKS = ('wall', 'cpu')

    def __init__(self,
                 seconds: float,
                 clock: str = 'wall',
                 save_checkpoint: bool = True) -> None:
        if seconds <= 0:
            raise ValueError(f'seconds must be > 0, got {seconds}')
        if clock not in self.CLOCKS:
            raise ValueError(f'clock must be one of {self.CLOCKS}, got '
                             f'{clock!r}')
        self.seconds = float(seconds)
        self.clock_index = self.CLOCKS.index(clock)
        self.clock_name = clock
        self.save_checkpoint = save_checkpoint
        self.clock = TrainingClock()
        self.stopped = False
        self._validated_at = None

    def before_train(self, runner) -> None:
        self.clock.start()
        self.stopped = False

    def before_val(self, runner) -> None:
        self.clock.pause()

    def after_val(self, runner) -> None:
        self.clock.resume()
        self._validated_at = runner.iter

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if (self.stopped
                or self.clock.read()[self.clock_index] < self.seconds):
            return
        self.stopped = True
        runner.train_loop.stop_training = True
        runner.logger.info(
            f'TimeBudgetHook: {self.seconds:.0f} s ({self.clock_name}) of '
            f'training spent at iteration {runner.iter + 1} of '
            f'{runner.max_iters}: stopping')
        if self.save_checkpoint:
            name = f'iter_{runner.iter + 1}.pth'
            runner.save_checkpoint(runner.work_dir, name, by_epoch=False)
            if is_main_process():
                with open(osp.join(runner.work_dir, 'last_checkpoint'),
                          'w') as f:
                    f.write(osp.join(runner.work_dir, name))

    def after_train(self, runner) -> None:
        if (self.stopped and runner.val_loop is not None
                and self._validated_at != runner.iter):
            runner.val_loop.run()
