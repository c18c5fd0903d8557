"""Random number generator states in resume checkpoints.

MMEngine seeds the generators once at start-up (``randomness``) and a
resumed run starts again from that seed, so everything drawn from the global
generators after a resume (dropout, random augmentations in the main
process, ``torch.randn`` without a generator...) differs from an
uninterrupted run. :class:`RNGStateHook` saves the states of torch (CPU and
every CUDA device), numpy and Python's ``random`` in every checkpoint and
puts them back when the run is resumed.

Where the states are taken: ``Runner.save_checkpoint`` is ``master_only``,
so ``before_save_checkpoint`` runs on rank 0 alone and cannot see the other
ranks' generators. Instead, on the iterations (or epochs) at which a
``CheckpointHook`` of the runner is about to save, every rank takes its
states in ``after_train_iter`` (``after_train_epoch``), they are gathered
with ``all_gather_object`` (a collective: all ranks make the same decision
from the same hook settings) and rank 0 writes the list in
``before_save_checkpoint``. On resume every rank loads the checkpoint
(``Runner.resume`` is not ``master_only``): ``after_load_checkpoint`` keeps
the states, and ``before_train`` gives each rank its own entry back when
the run goes on from where the checkpoint stopped (its iteration or epoch
is past 0: a resume; ``load_from`` starts at 0 and keeps its seed).

Validation does not move the training stream: the states are put aside
in ``before_val`` and restored in ``after_val``, so a run draws the same
numbers whether or not (and however often) it validates, and a checkpoint
written at an iteration that also validates resumes exactly.

Everything stored is a tensor, a number or a tuple of ints, which
``torch.load(weights_only=True)`` reads without any allow-list.
"""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook

from mmdfkd.registry import HOOKS

#: The checkpoint key.
CKPT_KEY = 'rng_state'

State = Dict[str, Any]
#: No checkpoint was loaded.
MISSING = object()


def get_rng_state() -> State:
    """This process's generator states, in a weights-only loadable form.

    Returns:
        dict: ``torch`` (uint8 tensor), ``cuda`` (list of uint8 tensors,
        one per visible device; only when CUDA is available), ``numpy``
        (dict: ``name``, ``keys`` as an int64 tensor, ``pos``,
        ``has_gauss``, ``cached_gaussian``) and ``python``
        (``random.getstate()``: a tuple of ints and None).
    """
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        torch=torch.get_rng_state(),
        numpy=dict(
            name=str(name),
            keys=torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached)),
        python=random.getstate())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: State) -> List[str]:
    """Restore what :func:`get_rng_state` returned.

    Returns:
        list[str]: Problems (parts that could not be restored); empty when
        everything was restored.
    """
    torch.set_rng_state(state['torch'].cpu())
    np_state = state['numpy']
    np.random.set_state(
        (np_state['name'], np_state['keys'].cpu().numpy().astype(np.uint32),
         int(np_state['pos']), int(np_state['has_gauss']),
         float(np_state['cached_gaussian'])))
    version, internal, gauss_next = state['python']
    random.setstate((version, tuple(internal), gauss_next))
    problems = []
    cuda = state.get('cuda')
    if torch.cuda.is_available():
        if cuda is None:
            problems.append('the checkpoint has no CUDA generator states')
        elif len(cuda) != torch.cuda.device_count():
            problems.append(
                f'the checkpoint has {len(cuda)} CUDA generator states, this '
                f'process sees {torch.cuda.device_count()} devices')
        else:
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
    return problems


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save every rank's RNG states in checkpoints; restore them on resume.

    ``checkpoint['rng_state']`` is ``dict(world_size=W, ranks=[state of
    rank 0, ..., state of rank W-1])`` (see :func:`get_rng_state`). When the
    run is resumed (``--resume``: training goes on from the checkpoint's
    iteration; a plain ``load_from`` restores nothing), rank ``r`` restores
    ``ranks[r]`` as training starts. With
    another number of processes nothing is restored (the data split differs
    anyway) and a warning says so.

    Priority 80, between ``LOW`` (70) and ``VERY_LOW`` (90): its
    ``after_train_iter`` runs after the hooks that may draw random numbers
    (whatever their order in ``custom_hooks``) and before ``CheckpointHook``
    (``VERY_LOW``), which writes the checkpoint.
    """
    priority = 80

    def __init__(self) -> None:
        # Gathered states of all ranks, waiting for before_save_checkpoint;
        # valid until the next iteration starts.
        self._pending: Optional[Dict[str, Any]] = None
        # The training stream, put aside while validating.
        self._before_val: Optional[State] = None
        # What the last loaded checkpoint held (MISSING: none loaded).
        self._loaded: Any = MISSING

    # ------------------------------------------------------------- saving
    @staticmethod
    def _checkpoint_hooks(runner) -> List[CheckpointHook]:
        return [h for h in runner.hooks if isinstance(h, CheckpointHook)]

    def _saves_after_iter(self, runner) -> bool:
        for hook in self._checkpoint_hooks(runner):
            if hook.by_epoch:
                continue
            if (hook.every_n_train_iters(runner, hook.interval,
                                         hook.save_begin)
                    or (hook.save_last and hook.is_last_train_iter(runner))):
                return True
        return False

    def _saves_after_epoch(self, runner) -> bool:
        for hook in self._checkpoint_hooks(runner):
            if not hook.by_epoch:
                continue
            if (hook.every_n_epochs(runner, hook.interval, hook.save_begin)
                    or (hook.save_last and hook.is_last_train_epoch(runner))):
                return True
        return False

    def _training_state(self) -> State:
        # While validating, the training stream is the one put aside.
        return self._before_val if self._before_val is not None \
            else get_rng_state()

    def _gather(self) -> None:
        """Collective: every rank must call it at the same point."""
        self._pending = dict(
            world_size=get_world_size(),
            ranks=all_gather_object(self._training_state()))

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._pending = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self._saves_after_iter(runner):
            self._gather()

    def after_train_epoch(self, runner) -> None:
        if self._saves_after_epoch(runner):
            self._gather()

    def after_val_epoch(self, runner, metrics=None) -> None:
        # CheckpointHook may save a best checkpoint now (save_best).
        hooks = self._checkpoint_hooks(runner)
        if any(h.save_best is not None for h in hooks):
            self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._pending is not None:
            checkpoint[CKPT_KEY] = self._pending
            return
        # A save outside the points above (e.g. a direct
        # runner.save_checkpoint call): only this rank's states are known.
        world_size = get_world_size()
        if world_size > 1:
            runner.logger.warning(
                'RNGStateHook: checkpoint saved outside a CheckpointHook '
                'save point; it holds only the RNG states of rank 0, the '
                'other ranks will keep their seeded states on resume')
        checkpoint[CKPT_KEY] = dict(
            world_size=world_size, ranks=[self._training_state()])

    # ---------------------------------------------------------- validation
    def before_val(self, runner) -> None:
        self._before_val = get_rng_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            set_rng_state(self._before_val)
            self._before_val = None

    # ----------------------------------------------------------- restoring
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get(CKPT_KEY)

    def before_train(self, runner) -> None:
        saved, self._loaded = self._loaded, MISSING
        if saved is MISSING or not (runner.iter or runner.epoch):
            return  # nothing loaded, or load_from: the run keeps its seed
        if saved is None:
            runner.logger.warning(
                'RNGStateHook: the checkpoint has no RNG states (written '
                'without this hook); the resumed run keeps its seeded '
                'generators and will not repeat an uninterrupted run')
            return
        rank, world_size = get_rank(), get_world_size()
        if saved['world_size'] != world_size:
            runner.logger.warning(
                f'RNGStateHook: the checkpoint was written by '
                f"{saved['world_size']} processes, this run has "
                f'{world_size}; RNG states are not restored')
            return
        if rank >= len(saved['ranks']):
            runner.logger.warning(
                f'RNGStateHook: the checkpoint has no RNG states for rank '
                f'{rank}; it keeps its seeded generators')
            return
        for problem in set_rng_state(saved['ranks'][rank]):
            runner.logger.warning(f'RNGStateHook: {problem}')
        runner.logger.info(f'RNGStateHook: restored the RNG states of rank '
                           f'{rank} from the checkpoint')
