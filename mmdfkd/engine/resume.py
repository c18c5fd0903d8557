"""Checks for ``--resume`` before the runner is built.

MMEngine resumes silently from nothing when the work dir has no checkpoint,
and loads a checkpoint of another configuration non-strictly (missing and
unexpected keys are only warned about; an optimiser state of another type is
loaded where it fits). :func:`check_resumable` turns both into an error at
start-up.

The configuration a checkpoint was written with is the text MMEngine stores
in ``checkpoint['meta']['cfg']`` (``Config.pretty_text``). It is read without
executing it: only literals and ``dict(...)`` calls are evaluated, anything
else is compared as source text. The checkpoint is loaded with
``weights_only=True`` and mmdfkd's allow-list (memory-mapped: its tensors
are not read).
"""
import ast
import os.path as osp
from typing import Any, Dict, List, Optional

import torch
from mmengine.config import Config

from mmdfkd.compat.checkpoint import allow_list, load_untrusted_checkpoint
from .config_migration import is_pre_0_2, migrate_model

__all__ = ['ResumeConfigMismatchError', 'check_resumable',
           'config_differences', 'enable_resume', 'parse_config_text']

#: Keys of ``model`` whose differences do not prevent a resume (the teacher
#: weights may move; the teacher is frozen and loaded again anyway).
IGNORED_MODEL_KEYS = ('teacher_ckpt', )
#: Differences listed in the error at most.
MAX_LISTED = 20


class ResumeConfigMismatchError(ValueError):
    """``--resume`` would load a checkpoint of another configuration."""


class _Source:
    """An expression of a config text that is not a literal: compared by
    its source text, never evaluated."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Source) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return self.text


_MISSING = _Source('<missing>')


def _literal(node: ast.AST) -> Any:
    """Evaluate literals and ``dict(key=...)`` calls; tuples become lists
    (the text form of a config does not keep the difference reliably)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(k) for k in node.keys]
        if all(isinstance(k, (str, int, float, bool, type(None), _Source))
               for k in keys):
            return {k: _literal(v) for k, v in zip(keys, node.values)}
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(kw.arg is not None for kw in node.keywords)):
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    if (isinstance(node, ast.UnaryOp)
            and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float, complex))):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    return _Source(ast.unparse(node))


def parse_config_text(text: str) -> Dict[str, Any]:
    """The top-level ``name = value`` assignments of a config text, without
    executing it (see :func:`_literal`).

    Raises:
        SyntaxError: If ``text`` is not Python.
    """
    out = {}
    for stmt in ast.parse(text).body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            out[stmt.targets[0].id] = _literal(stmt.value)
    return out


def _flat_diff(old: Any, new: Any, key: str, out: List[tuple]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new), key=str):
            _flat_diff(old.get(k, _MISSING), new.get(k, _MISSING),
                       f'{key}.{k}', out)
    elif old != new:
        out.append((key, old, new))


def _optimizer_types(optim_wrapper: Any) -> Dict[str, Any]:
    """``{'optim_wrapper[.<name>].optimizer.type': type}`` of one wrapper
    or of each wrapper of a multi-optimiser config."""
    if not isinstance(optim_wrapper, dict):
        return {}
    if isinstance(optim_wrapper.get('optimizer'), dict):
        return {'optim_wrapper.optimizer.type':
                optim_wrapper['optimizer'].get('type', _MISSING)}
    return {
        f'optim_wrapper.{name}.optimizer.type':
        sub['optimizer'].get('type', _MISSING)
        for name, sub in optim_wrapper.items()
        if isinstance(sub, dict) and isinstance(sub.get('optimizer'), dict)
    }


def _relevant(parsed: Dict[str, Any]) -> tuple:
    model = parsed.get('model', _MISSING)
    if is_pre_0_2(parsed):
        model = migrate_model(parsed)
    if isinstance(model, dict):
        model = {k: v for k, v in model.items()
                 if k not in IGNORED_MODEL_KEYS}
    return model, _optimizer_types(parsed.get('optim_wrapper'))


def config_differences(saved_text: str, cfg: Config) -> List[tuple]:
    """What keeps a checkpoint written with ``saved_text`` from resuming
    under ``cfg``: differences of the ``model`` section (``teacher_ckpt``
    ignored) and of the optimiser types of ``optim_wrapper``.

    A configuration of mmdfkd 0.1 is first brought to the 0.2 layout
    (:func:`~mmdfkd.engine.config_migration.migrate_model`).

    Args:
        saved_text: ``checkpoint['meta']['cfg']``.
        cfg: The configuration of the run about to resume.

    Returns:
        list[tuple]: ``(dotted key, value in the checkpoint, value now)``;
        a side without the key shows ``<missing>``.
    """
    # Both sides go through the same text form, so that tuples, key order
    # and formatting cannot make a difference.
    current = Config(
        dict(model=cfg.get('model'),
             optim_wrapper=cfg.get('optim_wrapper'))).pretty_text
    old_model, old_optim = _relevant(parse_config_text(saved_text))
    new_model, new_optim = _relevant(parse_config_text(current))
    diffs: List[tuple] = []
    _flat_diff(old_model, new_model, 'model', diffs)
    for key in sorted(set(old_optim) | set(new_optim)):
        old = old_optim.get(key, _MISSING)
        new = new_optim.get(key, _MISSING)
        if old != new:
            diffs.append((key, old, new))
    return diffs


def _load_meta(path: str) -> dict:
    """``checkpoint['meta']`` without reading the tensors: memory-mapped,
    weights only, mmdfkd's allow-list. Falls back to the plain untrusted
    loader (e.g. a file in torch's legacy format, which cannot be mapped),
    whose error explains a file it refuses."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(allow_list())
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True,
                                mmap=True)
    except Exception:  # noqa: BLE001 - the loader below reports it
        checkpoint = load_untrusted_checkpoint(path)
    if not isinstance(checkpoint, dict):
        checkpoint = load_untrusted_checkpoint(path)  # raises: not a dict
    meta = checkpoint.get('meta')
    meta = dict(meta) if isinstance(meta, dict) else {}
    layout = getattr(checkpoint.get('state_dict'), '_metadata', None) or {}
    meta['state_version'] = layout.get('', {}).get('version')
    return meta


def _resume_source(work_dir: str, cfg: Optional[Config]) -> Optional[str]:
    load_from = cfg.get('load_from') if cfg is not None else None
    if load_from:
        # MMEngine resumes from load_from when both are set.
        if '://' in str(load_from):
            return None  # a remote file: left to MMEngine's loaders
        if not osp.isfile(load_from):
            raise FileNotFoundError(
                f'--resume: load_from={load_from!r} does not exist')
        return load_from
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'--resume: no checkpoint in {work_dir!r} (no `last_checkpoint` '
            'file). Drop --resume to start a new run, or point --work-dir at '
            'the run to continue.')
    with open(marker) as f:
        ckpt = f.read().strip()
    if not ckpt:
        # MMEngine rewrites the file after each checkpoint: a run killed at
        # that moment leaves it empty.
        raise FileNotFoundError(
            f'--resume: {marker} is empty (the run was probably stopped '
            'while writing it). Write the path of the newest complete '
            f'checkpoint (e.g. {osp.join(work_dir, "iter_<N>.pth")}) into '
            'it, or drop --resume to start a new run.')
    if not osp.isfile(ckpt):
        raise FileNotFoundError(
            f'--resume: {marker} names {ckpt!r}, which does not exist')
    return ckpt


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + '...'


def check_resumable(work_dir: str, cfg: Optional[Config] = None) -> None:
    """Fail early when ``--resume`` cannot continue the run in ``work_dir``.

    * No checkpoint (no ``last_checkpoint`` file, or it names a missing
      file): :class:`FileNotFoundError` instead of MMEngine's silent fresh
      start. With ``cfg.load_from`` set, that file is the one resumed (a
      remote one, ``scheme://...``, is not checked).
    * With ``cfg``: the checkpoint's saved config must have the same
      ``model`` section (``teacher_ckpt`` may differ) and the same optimiser
      types in ``optim_wrapper``, else :class:`ResumeConfigMismatchError`
      names the differing keys. A checkpoint without a saved config is not
      checked.

    Args:
        work_dir: The run's work dir.
        cfg: The configuration about to resume (after ``--cfg-options``).
            None checks only that there is a checkpoint.

    Raises:
        FileNotFoundError: Nothing to resume from.
        ResumeConfigMismatchError: The checkpoint belongs to another
            configuration.
        mmdfkd.compat.checkpoint.UntrustedCheckpointError: The checkpoint is
            unreadable or holds objects outside the allow-list.
    """
    ckpt = _resume_source(work_dir, cfg)
    if cfg is None or ckpt is None:
        return
    meta = _load_meta(ckpt)
    saved = meta.get('cfg')
    if not isinstance(saved, str):
        return
    try:
        diffs = config_differences(saved, cfg)
    except SyntaxError:
        return  # not a config text MMEngine wrote; nothing to compare
    if not diffs:
        return
    lines = [f'  {key}: {_fmt(old)} in the checkpoint, {_fmt(new)} now'
             for key, old, new in diffs[:MAX_LISTED]]
    if len(diffs) > MAX_LISTED:
        lines.append(f'  ... and {len(diffs) - MAX_LISTED} more')
    version = meta.get('state_version')
    model = parse_config_text(saved).get('model')
    distiller = isinstance(model, dict) and str(model.get(
        'type', '')).split('.')[-1] in ('DataFreeDistiller',
                                        'KnowledgeDistiller')
    old = ('' if not distiller or version is None or version >= 2 else
           f' It was written by mmdfkd 0.1 (distiller state layout version '
           f'{version}); its configuration was brought to the layout of '
           'mmdfkd 0.2 (pool arguments in the synthesizer, stages in the '
           'schedule, no ScheduleSwitchHook / GeneratorResetHook / '
           'LossSnapshotHook) before this comparison.')
    raise ResumeConfigMismatchError(
        f'--resume: {ckpt} was written with another configuration '
        f'({len(diffs)} difference(s) in the model or the optimiser '
        f'types):{old}\n' + '\n'.join(lines) + '\n'
        'Resuming would load its weights and optimiser states into a '
        'different model. Either start a new run in a fresh work dir '
        '(--work-dir <new dir>, without --resume), or resume with the '
        'configuration the checkpoint was written with (the config file '
        f'dumped in {work_dir!r}).')


def enable_resume(cfg: Config) -> None:
    """Make the runner of ``cfg`` resume, with :class:`ResumeScheduleHook`
    among its custom hooks: the resumed parameter schedules follow the
    config's plan where that is exact (e.g. a longer ``max_iters``) and the
    run stops otherwise, instead of MMEngine's silent reuse of the
    checkpoint's plan (whose ``end`` is the old ``max_iters``).

    Args:
        cfg: The configuration of the run, changed in place.
    """
    cfg.resume = True
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(str(h.get('type', '')).split('.')[-1] == 'ResumeScheduleHook'
               for h in hooks if isinstance(h, dict)):
        hooks.append(dict(type='mmdfkd.ResumeScheduleHook'))
    cfg.custom_hooks = hooks
