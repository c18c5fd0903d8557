from typing import Sequence, Tuple

from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model


@HOOKS.register_module()
class ScheduleSwitchHook(Hook):
    """Replace the distiller's round ``schedule`` from iteration ``at`` on:
    two-stage methods such as RDSKD (stage 1 trains the generator alone,
    stage 2 the student on the fixed generator).

    The stage is derived from the runner's iteration before every
    iteration and when training starts, so a run resumed in stage 2 stays
    in stage 2 (the iteration comes back with the checkpoint).

    Args:
        at (int): First iteration (0-based) that runs ``schedule``.
        schedule (Sequence[tuple[str, int]]): The stage-2 schedule, e.g.
            ``[('student', 1)]``.
        eval_modules (Sequence[str]): Submodule paths of the model kept in
            eval mode in stage 2, e.g. ``('synthesizer',)``: the fixed
            generator's BatchNorm layers then use (and keep) the running
            statistics stage 1 left, instead of drifting with every batch.
            Set before every iteration, as validation puts the model back
            in train mode. Defaults to ().
    """
    priority = 'HIGH'  # before hooks that read the phase of the round

    def __init__(self,
                 at: int,
                 schedule: Sequence[Tuple[str, int]],
                 eval_modules: Sequence[str] = ()) -> None:
        if int(at) < 0 or not schedule:
            raise ValueError('ScheduleSwitchHook needs at >= 0 and a '
                             f'non-empty schedule, got at={at}, '
                             f'schedule={schedule}')
        self.at = int(at)
        self.schedule = [tuple(entry) for entry in schedule]
        self.eval_modules = tuple(eval_modules)
        # the config's schedule (runs before `at`) and the checked stage 2
        self._first = None
        self._second = None

    def _apply(self, runner, iteration: int) -> None:
        model = unwrap_model(runner.model)
        if self._first is None:
            self._first = list(model.schedule)
            # checked once, early: a typo fails before any training
            self._second = model._check_schedule(self.schedule)
        second = iteration >= self.at
        model.schedule = self._second if second else self._first
        if second:
            for path in self.eval_modules:
                model.get_submodule(path).eval()

    def before_train(self, runner) -> None:
        self._apply(runner, runner.iter)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._apply(runner, runner.iter)
