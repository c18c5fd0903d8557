"""Give a distillation config another number of rounds (runner
iterations), its schedules stretched to match; split a staged schedule
into its stages (a round of each stage costs what it costs)."""
import copy
from typing import Any, List, Optional

from mmengine.config import Config

#: Keys of an iteration-based parameter scheduler that count iterations.
SCHEDULER_KEYS = ('begin', 'end', 'T_max', 'step_size', 'total_steps')


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, (list, tuple)):
        return type(value)(_scale(v, factor) for v in value)
    if isinstance(value, int) and value < 10**9:  # not the loops' INF
        return max(1, round(value * factor)) if value else 0
    return value


def _schedulers(spec: Any):
    """Every scheduler dict of ``param_scheduler`` (a dict, a list, or a
    dict of lists per optimizer)."""
    if spec is None:
        return
    if isinstance(spec, dict) and 'type' not in spec:
        for value in spec.values():
            yield from _schedulers(value)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            yield from _schedulers(item)
    elif isinstance(spec, dict):
        yield spec


def scale_rounds(cfg: Config, rounds: int) -> Config:
    """Set ``train_cfg.max_iters`` of an iteration-based config to
    ``rounds`` and stretch, by the same factor, what is placed in the run
    as a fraction of its length: the iteration-based parameter schedulers
    (``begin``, ``end``, ``T_max``, ``milestones``, ...), the ``rounds``
    of the stages of ``model.schedule`` (RDSKD's stage switch) and the
    distiller's ``warmup_rounds``. Rhythms stay (a ``MetaSynthesizer``'s
    ``reset_interval``, an ``ExpIncrementPenalty``'s ``interval``, rounds
    per synthesized batch), and so do the logging, validation and
    checkpoint intervals.

    Args:
        cfg (Config): Changed in place.
        rounds (int): The new number of iterations, at least 1.

    Returns:
        Config: ``cfg``.

    Raises:
        ValueError: for an epoch-based config or ``rounds`` < 1.
    """
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_iters' not in train_cfg:
        raise ValueError('scale_rounds needs an iteration-based config '
                         '(train_cfg.max_iters)')
    if rounds < 1:
        raise ValueError(f'rounds must be >= 1, got {rounds}')
    factor = rounds / train_cfg['max_iters']
    train_cfg['max_iters'] = int(rounds)
    for sched in _schedulers(cfg.get('param_scheduler')):
        if sched.get('by_epoch', True):
            continue
        for key in SCHEDULER_KEYS + ('milestones', ):
            if key in sched:
                sched[key] = _scale(sched[key], factor)
    model = cfg.get('model') or {}
    for stage in model.get('schedule') or []:
        if isinstance(stage, dict) and stage.get('rounds'):
            stage['rounds'] = _scale(stage['rounds'], factor)
    if model.get('warmup_rounds'):
        model['warmup_rounds'] = _scale(model['warmup_rounds'], factor)
    return cfg


def _stages(cfg: Config) -> Optional[list]:
    schedule = (cfg.get('model') or {}).get('schedule')
    if (isinstance(schedule, (list, tuple)) and len(schedule) > 1
            and all(isinstance(s, dict) for s in schedule)):
        return list(schedule)
    return None


def stage_shares(cfg: Config) -> Optional[List[float]]:
    """The share of the rounds each stage of ``model.schedule`` runs (the
    last stage runs to ``train_cfg.max_iters``), or None for a schedule of
    one stage. ``scale_rounds`` keeps the shares.

    RDSKD trains the generator alone and then the student alone: their
    rounds cost different times, so a budget is planned from each
    stage's cost weighted by its share, not from the first stage's.
    """
    stages = _stages(cfg)
    if stages is None:
        return None
    total = cfg.train_cfg.max_iters
    shares, left = [], total
    for stage in stages[:-1]:
        rounds = min(int(stage['rounds']), left)
        shares.append(rounds / total)
        left -= rounds
    return shares + [left / total]


def single_stage(cfg: Config, index: int) -> Config:
    """A copy of ``cfg`` that runs stage ``index`` of its staged
    ``model.schedule`` in every round (to time that stage's rounds)."""
    stages = _stages(cfg)
    if stages is None or not 0 <= index < len(stages):
        raise ValueError(f'no stage {index} in model.schedule '
                         f'{(cfg.get("model") or {}).get("schedule")!r}')
    stage = {k: v for k, v in stages[index].items() if k != 'rounds'}
    out = copy.deepcopy(cfg)
    out.model.schedule = [stage]
    return out
