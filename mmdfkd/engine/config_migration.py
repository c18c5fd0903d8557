"""The ``model`` of an mmdfkd 0.1 configuration in the layout of 0.2.

0.2 moved what 0.1 spread over the model, hooks and the latent source into
the model: a pool synthesizer's ``pool``, ``student_views`` and
``student_batch_size``; ``ScheduleSwitchHook`` (stages of the schedule),
``GeneratorResetHook`` (``MetaSynthesizer``'s ``reset_layers`` /
``reset_interval``), ``LossSnapshotHook`` (``ExpIncrementPenalty``'s
``interval``) and the latent source's ``draws`` (``latent_draws``, when
they differ from what the schedule takes). ``--resume`` compares a
checkpoint's saved configuration with the current one after this
migration (:func:`mmdfkd.engine.resume.check_resumable`).
"""
import copy
from typing import Any, Dict, List

from mmdfkd.registry import MODELS

#: DataFreeDistiller arguments that are the pool synthesizer's since 0.2.
MOVED = ('pool', 'student_views', 'student_batch_size')
#: The hooks of 0.1 whose settings are model arguments since 0.2.
RETIRED_HOOKS = ('ScheduleSwitchHook', 'GeneratorResetHook',
                 'LossSnapshotHook')


def _hook_type(hook: Any) -> str:
    kind = hook.get('type', '') if isinstance(hook, dict) else ''
    return str(kind).split('.')[-1]


def _takes_latents(synthesizer: Any) -> bool:
    """Whether the synthesizer's student batches take latents (online)."""
    kind = synthesizer.get('type') if isinstance(synthesizer, dict) else None
    try:
        cls = MODELS.get(str(kind).split('.')[-1])
    except Exception:  # noqa: BLE001 - an unknown type: assume online
        cls = None
    return bool(getattr(cls, 'student_takes_latents', True))


def _draws_taken(schedule: List[Any], online: bool) -> int:
    takes = ('generator', 'synthesis') + (('student', ) if online else ())
    try:
        return max(1, sum(int(n) for phase, n in schedule if phase in takes))
    except (TypeError, ValueError):
        return -1


def migrate_model(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """The ``model`` of a parsed 0.1 configuration (top-level assignments,
    as :func:`mmdfkd.engine.resume.parse_config_text` gives them) in the
    0.2 layout. Other configurations come back unchanged.

    Args:
        cfg (dict): ``model``, ``custom_hooks`` and ``train_dataloader`` are
            read.

    Returns:
        dict: The migrated ``model`` (a copy).
    """
    model = copy.deepcopy(cfg.get('model'))
    if not isinstance(model, dict) or 'synthesizer' not in model:
        return model
    synthesizer = model['synthesizer']
    for key in MOVED:
        if key in model and isinstance(synthesizer, dict):
            synthesizer[key] = model.pop(key)
    hooks = cfg.get('custom_hooks')
    hooks = hooks if isinstance(hooks, list) else []
    schedule = model.get('schedule', [['student', 5], ['generator', 1]])
    for hook in hooks:
        kind = _hook_type(hook)
        if kind == 'ScheduleSwitchHook':
            later = dict(phases=hook.get('schedule'))
            if hook.get('eval_modules'):
                later['eval_modules'] = hook['eval_modules']
            model['schedule'] = [
                dict(rounds=hook.get('at'), phases=schedule), later
            ]
        elif kind == 'GeneratorResetHook' and isinstance(synthesizer, dict):
            synthesizer['reset_layers'] = hook.get('layers')
            synthesizer['reset_interval'] = hook.get('interval', 10)
        elif kind == 'LossSnapshotHook':
            for group in ('generator_losses', 'student_losses'):
                for term in (model.get(group) or {}).values():
                    if (isinstance(term, dict) and str(term.get('type', ''))
                            .split('.')[-1] == 'ExpIncrementPenalty'):
                        term['interval'] = hook.get('interval', 120)
    dataset = ((cfg.get('train_dataloader') or {}).get('dataset')
               if isinstance(cfg.get('train_dataloader'), dict) else None)
    draws = dataset.get('draws') if isinstance(dataset, dict) else None
    if isinstance(draws, int) and 'latent_draws' not in model:
        if draws != _draws_taken(schedule, _takes_latents(synthesizer)):
            model['latent_draws'] = draws
    return model


def is_pre_0_2(cfg: Dict[str, Any]) -> bool:
    """Whether a parsed configuration has the 0.1 layout (model arguments
    that moved, or hooks that retired)."""
    model = cfg.get('model')
    hooks = cfg.get('custom_hooks')
    return (isinstance(model, dict) and any(k in model for k in MOVED)) or (
        isinstance(hooks, list)
        and any(_hook_type(h) in RETIRED_HOOKS for h in hooks))
