import json
import os.path as osp
from typing import Any, Dict, List, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model
from .rng_state_hook import get_rng_state, set_rng_state

CKPT_KEY = 'collapse_monitor'
#: Validation metrics watched, first found wins, and their chance level
#: (None: 100 / number of classes; mIoU's is taken as 0).
METRICS = (('accuracy/top1', None), ('mIoU', 0.0))


@HOOKS.register_module()
class CollapseMonitorHook(Hook):
    """Watches a distillation run for collapse and says so loudly; it only
    reads what training logs and what validation measures.

    Two failures are defined:

    * **collapsed synthesis**: a round is *collapsed* when the batches
      synthesized in it (``synthesis.class_balance``: entropy of the
      teacher's class histogram / log C; for pool methods
      ``synthesis.pool_class_balance``, the same over the whole pool the
      student draws from; ``synthesis.diversity``: mean
      pairwise distance of the normalised teacher logits, see
      :func:`~mmdfkd.models.algorithms.data_free_distiller.batch_diversity`)
      have a class balance below ``min_class_balance`` or a diversity below
      ``min_diversity``. ``patience`` collapsed rounds in a row log a
      warning, repeated at 2, 4, 8... times ``patience`` while the streak
      lasts. The run *ended collapsed* when its last
      ``patience`` rounds were, or when at least ``max_collapsed_fraction``
      of its rounds were.
    * **not learning**: the final student recovers less than
      ``min_recovery`` of the teacher's margin over chance on the
      validation split: ``(student - chance) < min_recovery * (teacher -
      chance)``, chance = 100 / C for top-1 accuracy, 0 for mIoU. The
      teacher is evaluated once, on the same split and metric, before
      training (its RNG draws are undone). From the middle of the run on,
      each validation below that bound logs a warning.

    After training one line gives the verdict (a warning when it is not
    ``healthy``), ``<log_dir>/training_health.json`` holds it with the
    figures behind it, and the message hub's ``training_health`` info
    holds the same dict, for the demos' summaries.

    Defaults, from the digits runs (docs: README "Collapse monitor"):
    healthy methods keep a class balance of 0.87-1.0 after their first
    rounds; with the generator learning rate at 1e6 DFQ's batches hold
    about 5 of 10 classes (balance 0.55-0.61) and its student reaches 35 %.

    Args:
        min_class_balance (float): Defaults to 0.75.
        min_diversity (float): Defaults to 0.05.
        patience (int): Consecutive collapsed rounds before a warning, and
            the final rounds that decide "ended collapsed". Defaults to 10.
        max_collapsed_fraction (float): Defaults to 0.5.
        min_recovery (float): Defaults to 0.5.
        metric (str, optional): Validation metric; default: the first of
            ``accuracy/top1``, ``mIoU`` that validation reports.
        chance (float, optional): Chance level of ``metric`` in %; default
            as above.
    """
    priority = 'LOW'

    def __init__(self,
                 min_class_balance: float = 0.75,
                 min_diversity: float = 0.05,
                 patience: int = 10,
                 max_collapsed_fraction: float = 0.5,
                 min_recovery: float = 0.5,
                 metric: Optional[str] = None,
                 chance: Optional[float] = None) -> None:
        if patience < 1:
            raise ValueError(f'patience must be >= 1, got {patience}')
        self.min_class_balance = min_class_balance
        self.min_diversity = min_diversity
        self.patience = patience
        self.max_collapsed_fraction = max_collapsed_fraction
        self.min_recovery = min_recovery
        self.metric = metric
        self.chance = chance
        self.state: Dict[str, Any] = dict(
            rounds=0, collapsed=0, streak=0, last_balance=None,
            last_diversity=None, val=[], teacher=None)
        self._max_iters: Optional[int] = None  # set while training

    # ------------------------------------------------------------ synthesis
    def _is_collapsed(self, balance: float, diversity: float) -> bool:
        # NaN compares False: count a non-finite indicator as collapsed
        return not (balance >= self.min_class_balance
                    and diversity >= self.min_diversity)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        outputs = outputs or {}
        if 'synthesis.class_balance' not in outputs:
            return  # a round without synthesized batches
        # pool methods: the pool's balance, what the student trains on
        balance = float(outputs.get('synthesis.pool_class_balance',
                                    outputs['synthesis.class_balance']))
        diversity = float(outputs.get('synthesis.diversity', float('inf')))
        state = self.state
        state['rounds'] += 1
        state['last_balance'], state['last_diversity'] = balance, diversity
        if not self._is_collapsed(balance, diversity):
            state['streak'] = 0
            return
        state['collapsed'] += 1
        state['streak'] += 1
        # at patience, 2 x patience, 4 x patience ...: loud, not flooding
        times, rest = divmod(state['streak'], self.patience)
        if rest == 0 and times & (times - 1) == 0:
            runner.logger.warning(
                f'COLLAPSE at iteration {runner.iter + 1}: the synthesized '
                f'batches have collapsed for {state["streak"]} rounds in a '
                f'row (class balance {balance:.2f}, threshold '
                f'{self.min_class_balance}; diversity {diversity:.3f}, '
                f'threshold {self.min_diversity}): the teacher sees only a '
                'few of its classes, and the student learns only those. '
                'Training goes on; lower the generator learning rate or '
                'raise the class-balance / BN-statistics weights.')

    # ----------------------------------------------------------- validation
    def _metric(self, metrics: Dict[str, float]) -> Optional[str]:
        if self.metric is not None:
            return self.metric if self.metric in metrics else None
        return next((k for k, _ in METRICS if k in metrics), None)

    def _chance(self, runner, key: str) -> float:
        if self.chance is not None:
            return self.chance
        default = dict(METRICS).get(key)
        if default is not None:
            return default
        from mmdfkd.models.algorithms.networks import num_classes
        model = unwrap_model(runner.model)
        classes = num_classes(getattr(model, 'teacher', model)) or 0
        return 100.0 / classes if classes else 0.0

    def before_train(self, runner) -> None:
        """Evaluate the teacher on the validation split, as the student
        will be; its random draws are undone."""
        self._max_iters = runner.max_iters
        teacher = getattr(unwrap_model(runner.model), 'teacher', None)
        loop = runner.val_loop
        if teacher is None or loop is None or self.state['teacher']:
            return
        rng = get_rng_state()
        try:
            with torch.no_grad():
                for data in loop.dataloader:
                    loop.evaluator.process(
                        data_samples=teacher.val_step(data), data_batch=data)
            metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        finally:
            set_rng_state(rng)
        key = self._metric(metrics)
        if key is not None:
            self.state['teacher'] = dict(metric=key, value=float(
                metrics[key]), chance=self._chance(runner, key))
            runner.logger.info(
                f'collapse monitor: teacher {key} {metrics[key]:.2f} on the '
                'validation split')

    def _recovery(self, value: float) -> Optional[float]:
        teacher = self.state['teacher']
        if not teacher or teacher['value'] <= teacher['chance']:
            return None
        return (value - teacher['chance']) / (teacher['value'] -
                                              teacher['chance'])

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._max_iters is None or not metrics:
            return  # a validation outside training
        key = self._metric(metrics)
        if key is None:
            return
        value = float(metrics[key])
        self.state['val'].append([runner.iter, value])
        recovery = self._recovery(value)
        late = runner.iter >= self._max_iters // 2
        if late and recovery is not None and recovery < self.min_recovery:
            teacher = self.state['teacher']
            runner.logger.warning(
                f'NOT LEARNING at iteration {runner.iter}: the student\'s '
                f'{key} is {value:.2f} (teacher {teacher["value"]:.2f}, '
                f'chance {teacher["chance"]:.2f}): it recovers '
                f'{100 * recovery:.0f} % of the teacher\'s margin over '
                f'chance, below {100 * self.min_recovery:.0f} %.')

    # -------------------------------------------------------------- verdict
    def report(self) -> Dict[str, Any]:
        """The verdict and the figures behind it.

        Returns:
            dict: ``healthy`` (bool), ``problems`` (list of sentences),
            ``synthesis`` and ``validation`` figures, ``criteria``.
        """
        state = self.state
        problems: List[str] = []
        rounds = state['rounds']
        if rounds:
            fraction = state['collapsed'] / rounds
            if state['streak'] >= min(self.patience, rounds):
                problems.append(
                    f'synthesis ended collapsed: the last {state["streak"]} '
                    f'rounds were (class balance '
                    f'{state["last_balance"]:.2f})')
            elif fraction >= self.max_collapsed_fraction:
                problems.append(
                    f'synthesis collapsed in {100 * fraction:.0f} % of the '
                    f'{rounds} rounds')
        val = state['val']
        recovery = self._recovery(val[-1][1]) if val else None
        if recovery is not None and recovery < self.min_recovery:
            teacher = state['teacher']
            problems.append(
                f'not learning: the final student\'s {teacher["metric"]} '
                f'{val[-1][1]:.2f} recovers {100 * recovery:.0f} % of the '
                f'teacher\'s margin over chance ({teacher["value"]:.2f} vs '
                f'{teacher["chance"]:.2f})')
        return dict(
            healthy=not problems,
            problems=problems,
            synthesis=dict(
                rounds=rounds, collapsed_rounds=state['collapsed'],
                final_streak=state['streak'],
                last_class_balance=state['last_balance'],
                last_diversity=state['last_diversity']),
            validation=dict(teacher=state['teacher'], student=val,
                            recovery=recovery),
            criteria=dict(
                min_class_balance=self.min_class_balance,
                min_diversity=self.min_diversity, patience=self.patience,
                max_collapsed_fraction=self.max_collapsed_fraction,
                min_recovery=self.min_recovery))

    def after_train(self, runner) -> None:
        self._max_iters = None
        report = self.report()
        runner.message_hub.update_info('training_health', report)
        if report['healthy']:
            runner.logger.info('training health: healthy (no collapse; the '
                               'student learned)')
        else:
            runner.logger.warning('training health: FAILED: ' +
                                  '; '.join(report['problems']))
        if is_main_process():
            with open(osp.join(runner.log_dir, 'training_health.json'),
                      'w') as f:
                json.dump(report, f, indent=2)

    # ------------------------------------------------------------- resuming
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CKPT_KEY] = json.loads(json.dumps(self.state))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner.cfg.get('resume') and CKPT_KEY in checkpoint:
            self.state = dict(checkpoint[CKPT_KEY])
