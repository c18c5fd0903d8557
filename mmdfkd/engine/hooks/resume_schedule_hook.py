"""Parameter schedules of a resumed run follow the config, or the run stops.

MMEngine resumes a scheduler by replacing its whole state with the
checkpoint's, plan included: ``end`` (by default the ``max_iters`` of the
run that wrote the checkpoint), ``T_max``, ``total_iters``. Resuming with a
larger ``max_iters`` then keeps the old ``end`` and the learning rate stops
changing where the old run stopped. :class:`ResumeScheduleHook` makes the
config's plan win where that is exact, and refuses otherwise.
"""
import copy
import math
import types
import warnings
from typing import List, Optional, Tuple

from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS

#: Scheduler state that is progress, not plan.
PROGRESS_KEYS = frozenset({
    'last_step', '_global_step', '_last_value', 'base_values', 'verbose',
    # ReduceOnPlateau's bookkeeping
    'best', 'num_bad_epochs', 'cooldown_counter', 'last_epoch',
})
#: How to go on, appended to every refusal.
ADVICE = (
    '\nResume with the checkpoint\'s schedule settings (the config dumped '
    'in the work dir), or start a new run planned this way in a fresh '
    '--work-dir (from these weights if wanted: --cfg-options '
    'load_from=<checkpoint>, without --resume).')


class ScheduleResumeError(ValueError):
    """The checkpoint's schedules cannot be continued as the config plans
    them."""


def _plan_differences(new: dict, old: dict) -> List[str]:
    keys = (set(new) | set(old)) - PROGRESS_KEYS
    return [
        f'{k} {old.get(k, "<missing>")!r} -> {new.get(k, "<missing>")!r}'
        for k in sorted(keys)
        if old.get(k, '<missing>') != new.get(k, '<missing>')
    ]


def _groups(built, saved, optim_state) -> List[tuple]:
    """(label, built schedulers, checkpoint states, checkpoint param groups)
    per optimiser: one list of schedulers or a dict of lists."""
    if isinstance(built, dict):
        if not isinstance(saved, dict) or set(saved) != set(built):
            names = sorted(saved) if isinstance(saved, dict) else '(one)'
            raise ScheduleResumeError(
                '--resume: the checkpoint has parameter schedulers for the '
                f'optimisers {names}, the config for {sorted(built)}.' +
                ADVICE)
        return [(f'param_scheduler.{name}', built[name], saved[name],
                 ((optim_state or {}).get(name) or {}).get('param_groups'))
                for name in sorted(built)]
    return [('param_scheduler', built, saved,
             (optim_state or {}).get('param_groups'))]


def _twins(schedulers, states=None) -> Tuple[list, list]:
    """Copies of the freshly built ``schedulers`` on a stand-in optimiser
    that starts where they did (after their first step). With ``states``,
    the copies take the plan of those checkpoint states instead of the
    config's.

    Returns:
        tuple: (the copies, the stand-in's param groups).
    """
    groups = [{k: copy.deepcopy(v) for k, v in g.items() if k != 'params'}
              for g in schedulers[0].optimizer.param_groups]
    stand_in = types.SimpleNamespace(param_groups=groups, step=lambda: None)
    twins = []
    for i, scheduler in enumerate(schedulers):
        state = copy.deepcopy(scheduler.state_dict())
        if states is not None:
            state.update({k: copy.deepcopy(v) for k, v in states[i].items()
                          if k not in PROGRESS_KEYS})
        twin = copy.copy(scheduler)
        twin.load_state_dict(state)
        twin.optimizer = stand_in
        twins.append(twin)
    return twins, groups


def _run(twins, groups, steps: int, names: set) -> Optional[list]:
    """Step ``twins`` like ParamSchedulerHook does; the values of
    ``names`` after each step, or None when a scheduler needs more than
    ``step()`` (e.g. ReduceOnPlateau's metrics)."""
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "scheduler.step() before ..."
        try:
            for _ in range(steps):
                for twin in twins:
                    twin.step()
                values.append(_values(groups, names))
        except TypeError:
            return None
    return values


def _values(groups: list, names: set) -> list:
    return [[float(g[n]) for n in sorted(names) if n in g] for g in groups]


def _show(values: list) -> str:
    """Values of each param group, e.g. ``0.055`` or ``0.1, 0.01``."""
    return ', '.join('/'.join(f'{v:.6g}' for v in g) for g in values)


def _close(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(
            math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)
            for u, v in zip(x, y)) for x, y in zip(a, b))


def _continue(schedulers, states, saved_groups) -> Tuple[str, int]:
    """Check that the config's plan continues the checkpoint's schedule.

    Both plans are replayed for the steps the checkpoint took. They must
    give the same values at every step, except at steps where no scheduler
    of the checkpoint's plan was active any more (its ``end`` cut it off,
    e.g. the last step of a finished run): those the config's plan adds.

    Returns:
        tuple: (the problem, '' when it continues; the number of steps).
    """
    steps = {state.get('_global_step') for state in states}
    if len(steps) != 1:
        return 'its schedulers count steps in different units', -1
    done = steps.pop()
    names = {s.param_name for s in schedulers}
    old_twins, old_groups = _twins(schedulers, states)
    old = _run(old_twins, old_groups, done, names)
    new_twins, new_groups = _twins(schedulers)
    new = _run(new_twins, new_groups, done, names)
    if old is None or new is None:
        return 'a scheduler cannot be replayed (it needs metrics)', done
    if saved_groups is None or not _close(
            old[-1] if old else _values(old_groups, names),
            _values(saved_groups, names)):
        return ('replaying the checkpoint\'s plan does not give the values '
                'it holds', done)
    for step in range(1, done + 1):
        if _close(old[step - 1], new[step - 1]):
            continue
        active = [
            type(t).__name__ for t, st in zip(schedulers, states)
            if st['begin'] <= step < st['end']
        ]
        if active:
            return (f'at step {step} {"/".join(sorted(names))} is '
                    f'{_show(old[step - 1])} in the checkpoint\'s plan, '
                    f'{_show(new[step - 1])} in the config\'s, while the '
                    f'checkpoint\'s {", ".join(active)} was active', done)
    for i, twin in enumerate(new_twins):
        states[i] = twin.state_dict()
    for group, planned in zip(saved_groups, new_groups):
        for name in names & set(planned):
            group[name] = planned[name]
            if name == 'momentum' and 'betas' in group:
                group['betas'] = (planned[name], *group['betas'][1:])
    return '', done


@HOOKS.register_module()
class ResumeScheduleHook(Hook):
    """On ``--resume``, give the resumed parameter schedulers the config's
    plan when that continues the checkpoint's schedule exactly, and stop
    with :class:`ScheduleResumeError` when it cannot.

    When the config plans the schedules as the checkpoint's run did,
    nothing changes. Otherwise both plans are replayed on a stand-in
    optimiser for the steps the checkpoint took. If they agree at every
    step where the checkpoint's plan was still active, the config's
    scheduler states (and the values of its last step, which the old
    plan skipped past its ``end``) replace the checkpoint's: the resumed
    run then goes on exactly as a run planned this way from the start.
    That covers a longer ``max_iters`` with ``CosineAnnealingLR(T_max=...)``,
    ``ConstantLR(factor=1)``, step schedules. A plan whose shape depends on
    its length (``CosineAnnealingLR`` without ``T_max``, ``PolyLR``,
    ``LinearLR`` over the whole run) or other changed settings differ
    earlier: the run stops, naming the scheduler, the changed keys and
    the step and values where the plans part.

    ``tools/train.py --resume`` adds this hook (``enable_resume``). Loading
    weights with ``load_from`` and no resume leaves the schedulers alone.
    It only prepares the scheduler and optimiser states MMEngine loads
    next; it does not touch the model.
    """
    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('param_schedulers')
        built = runner.param_schedulers
        if not runner.cfg.get('resume') or saved is None or built is None:
            return
        problems, adopted = [], []
        for label, schedulers, states, groups in _groups(
                built, saved, checkpoint.get('optimizer')):
            if len(schedulers) != len(states):
                problems.append(f'{label}: {len(states)} schedulers in the '
                                f'checkpoint, {len(schedulers)} now')
                continue
            changes = [
                f'[{i}] {type(s).__name__}: ' + ', '.join(diffs)
                for i, (s, st) in enumerate(zip(schedulers, states))
                for diffs in [_plan_differences(s.state_dict(), st)] if diffs
            ]
            if not changes:
                continue
            problem, done = _continue(schedulers, states, groups)
            if problem:
                problems.append(f'{label}: changed ({"; ".join(changes)}); '
                                f'{problem}')
                continue
            adopted.append(f'{label} ({"; ".join(changes)})')
        if problems:
            raise ScheduleResumeError(
                '--resume: the checkpoint\'s parameter schedules cannot be '
                'continued as the config plans them:\n'
                + '\n'.join(f'  {p}' for p in problems) + ADVICE)
        for item in adopted:
            runner.logger.info(f'resumed schedule follows the config: {item}')
