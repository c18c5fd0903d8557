"""The round schedule of a data-free distiller, stages included."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

Phases = Tuple[Tuple[str, int], ...]
#: Keys a stage dict may have.
STAGE_KEYS = ('phases', 'rounds', 'eval_modules', 'teacher_only')


@dataclass(frozen=True)
class Stage:
    """Rounds that run the same phases.

    Args:
        phases (tuple[tuple[str, int], ...]): ``(phase, count)`` in order.
        rounds (int, optional): Rounds of the stage; None for the last one
            (it runs to the end of training).
        eval_modules (tuple[str, ...]): Submodule paths of the distiller
            kept in eval mode in these rounds, e.g. ``('synthesizer',)``:
            RDSKD's fixed generator uses (and keeps) the BatchNorm running
            statistics its training stage left.
        teacher_only (bool): The generator-loss terms that read the student
            are left out (Fast DFKD's warm-up: the student has learnt
            nothing yet).
    """
    phases: Phases
    rounds: Optional[int] = None
    eval_modules: Tuple[str, ...] = ()
    teacher_only: bool = False


def _phases(entries, allowed: Sequence[str], owner: str) -> Phases:
    phases = []
    for entry in entries:
        try:
            phase, count = entry
            phase, count = str(phase), int(count)
        except (TypeError, ValueError):
            phase, count = None, -1
        if phase not in ('student', 'generator', 'synthesis') or count < 0:
            raise ValueError(
                'schedule entries are (phase, count) with phase in '
                f"('generator', 'synthesis', 'student') and count >= 0, got "
                f'{entry!r}')
        if phase not in allowed:
            raise ValueError(
                f'phase {phase!r} does not fit {owner}: its steps are the '
                f'{allowed[1]!r} phase, a schedule has {allowed[1]!r} and '
                "'student' phases")
        phases.append((phase, count))
    return tuple(phases)


def parse_schedule(schedule: Sequence[Union[Tuple[str, int], dict]],
                   allowed: Sequence[str],
                   owner: str,
                   warmup_rounds: int = 0) -> List[Stage]:
    """Stages of a schedule given as ``(phase, count)`` entries (one stage)
    or as stage dicts (``phases``, ``rounds`` for all but the last,
    ``eval_modules``, ``teacher_only``).

    ``warmup_rounds`` adds a first stage of that many rounds that runs the
    first stage's phases without the student ones, ``teacher_only``.

    Args:
        schedule: The schedule.
        allowed (Sequence[str]): ``('student', <the synthesizer's phase>)``.
        owner (str): The synthesizer's name, for messages.
        warmup_rounds (int): Defaults to 0.

    Raises:
        ValueError: naming the entry or key that is wrong.
    """
    schedule = list(schedule)
    if not schedule:
        raise ValueError('the schedule is empty')
    if all(isinstance(s, dict) for s in schedule):
        stages = []
        for i, spec in enumerate(schedule):
            unknown = sorted(set(spec) - set(STAGE_KEYS))
            if unknown or 'phases' not in spec:
                raise ValueError(
                    f'schedule stage {i} has keys {sorted(spec)}: a stage '
                    f'has `phases` and may have {list(STAGE_KEYS[1:])}')
            last = i == len(schedule) - 1
            rounds = spec.get('rounds')
            if (rounds is None) != last or (rounds is not None
                                            and int(rounds) < 1):
                raise ValueError(
                    f'schedule stage {i}: every stage but the last runs a '
                    'positive number of `rounds`; the last runs to the end '
                    f'(no `rounds`), got rounds={rounds!r}')
            stages.append(Stage(
                phases=_phases(spec['phases'], allowed, owner),
                rounds=None if rounds is None else int(rounds),
                eval_modules=tuple(spec.get('eval_modules', ())),
                teacher_only=bool(spec.get('teacher_only', False))))
    elif any(isinstance(s, dict) for s in schedule):
        raise ValueError('a schedule is (phase, count) entries or stage '
                         f'dicts, not both: {schedule!r}')
    else:
        stages = [Stage(phases=_phases(schedule, allowed, owner))]
    if warmup_rounds:
        if int(warmup_rounds) < 0:
            raise ValueError(
                f'warmup_rounds must be >= 0, got {warmup_rounds}')
        stages.insert(0, Stage(
            phases=tuple(p for p in stages[0].phases if p[0] != 'student'),
            rounds=int(warmup_rounds),
            teacher_only=True))
    return stages


def stage_at(stages: Sequence[Stage], round_index: int) -> Stage:
    """The stage that runs round ``round_index`` (0-based)."""
    end = 0
    for stage in stages:
        if stage.rounds is None:
            return stage
        end += stage.rounds
        if round_index < end:
            return stage
    return stages[-1]
