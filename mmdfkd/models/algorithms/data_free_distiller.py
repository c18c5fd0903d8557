from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmdfkd.models.losses import LossTerm
from mmdfkd.models.synthesizers import BaseSynthesizer
from mmdfkd.registry import MODELS
from mmdfkd.utils import draw_latents
from .base_distiller import BaseDistiller, build_terms
from .networks import num_classes
from .schedule import Stage, parse_schedule, stage_at
from .task_adapter import logits_to_rows

#: Arguments of mmdfkd 0.1 that are the pool synthesizer's since 0.2.
MOVED_TO_SYNTHESIZER = ('pool', 'student_views', 'student_batch_size')


@MODELS.register_module()
class DataFreeDistiller(BaseDistiller):
    """Data-free distillation of a frozen teacher into a student.

    One runner iteration is one *round* of the ``schedule``: e.g. DFAD's
    five student steps followed by one generator step. The distiller runs
    the schedule and nothing else: each ``'student'`` step trains the
    student on the synthesizer's :meth:`~mmdfkd.models.synthesizers.
    BaseSynthesizer.student_batch`, every other step is the synthesizer's
    half of the round (:meth:`~mmdfkd.models.synthesizers.BaseSynthesizer.
    step`: an online generator's update, or a pool synthesizer's inner
    loop that adds a batch to its pool). The synthesizer sees the
    distiller through :class:`~mmdfkd.models.synthesizers.SynthesisEnv`.

    Latents: a batch of the latent source (:class:`~mmdfkd.datasets.
    LatentDataset`) gives each item a seed; a round draws from it one
    latent vector per step that takes latents (each synthesizer step, and
    each student step of an online synthesizer), of the synthesizer's
    latent size, with class-balanced labels of the teacher's classes, or
    ``latent_draws`` that the steps cycle through (ZSKT: 1, the same z for
    the whole round). A source that gives drawn latents itself (a fixed
    ``draws``) is cycled through the same way.

    Stages: ``schedule`` is a list of ``(phase, count)`` (one stage) or of
    stage dicts, e.g. RDSKD's ``[dict(rounds=600, phases=[('generator',
    1)]), dict(phases=[('student', 1)], eval_modules=['synthesizer'])]``
    (:class:`~mmdfkd.models.algorithms.schedule.Stage`). The stage of a
    round follows from ``rounds``, so a resumed run is in the stage it
    stopped in.

    Args:
        teacher (dict | str): Teacher model config, or a config path such as
            ``'mmpretrain::resnet/resnet34_8xb16_cifar10.py'``.
        student (dict | str): Student model config or config path.
        synthesizer (dict): A :class:`~mmdfkd.models.synthesizers.
            BaseSynthesizer` config.
        generator_losses (dict): Name → loss-term config, summed for the
            synthesizer's steps.
        student_losses (dict): Name → loss-term config for the student step.
        teacher_ckpt (str, optional): Teacher weights, loaded as untrusted
            input with ``weights_only=True``. None keeps the weights the
            teacher config initialises (tests only). Defaults to None.
        schedule (Sequence): Phases of one round, or stages (above).
            Defaults to ``(('student', 5), ('generator', 1))`` (DFAD).
        warmup_rounds (int): Rounds at the start that only synthesize,
            without the generator-loss terms that read the student, as in
            Fast DFKD's warm-up: a first stage (``teacher_only``) of the
            first stage's phases without the student ones. Defaults to 0.
        latent_draws (int, optional): Latent draws per round, cycled
            through by its steps. Defaults to None: one per step that takes
            latents.
        student_ema (dict, optional): Keep an exponential moving average of
            the student (``mmengine``'s ``ExponentialMovingAverage``
            arguments, e.g. ``dict(momentum=0.01)``); it is what validation,
            testing and the export see. It damps the swings of adversarial
            training. Defaults to None (the live student).
        max_nonfinite_steps (int): Consecutive non-finite losses tolerated
            (each such step is skipped) before training stops. Defaults to 20.
        data_preprocessor (dict, optional): Casts latent batches to the
            device; it must take a dict of latent tensors (an image
            preprocessor such as a top-level ``data_preprocessor`` merged
            in by the runner is refused at build). Defaults to
            ``BaseDataPreprocessor``.
        init_cfg (dict, optional): Defaults to None.
    """
    STATE_RENAMES = (('pool.', 'synthesizer.pool.'),
                     ('student_views.', 'synthesizer.student_views.'))

    def __init__(self,
                 teacher: Union[dict, str],
                 student: Union[dict, str],
                 synthesizer: dict,
                 generator_losses: Dict[str, dict],
                 student_losses: Dict[str, dict],
                 teacher_ckpt: Optional[str] = None,
                 schedule: Sequence = (('student', 5), ('generator', 1)),
                 warmup_rounds: int = 0,
                 latent_draws: Optional[int] = None,
                 student_ema: Optional[dict] = None,
                 max_nonfinite_steps: int = 20,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **moved) -> None:
        if moved:
            raise TypeError(self._moved_message(moved))
        super().__init__(data_preprocessor, init_cfg)
        self._check_latent_preprocessor()
        self._build_networks(teacher, student)
        self.synthesizer = MODELS.build(synthesizer)
        if not isinstance(self.synthesizer, BaseSynthesizer):
            raise TypeError(
                f'synthesizer built a {type(self.synthesizer).__name__}, '
                'which is not an mmdfkd BaseSynthesizer (an online '
                'generator or a pool synthesizer)')
        self.generator_losses = build_terms(generator_losses)
        self.student_losses = build_terms(student_losses)
        self.stages = parse_schedule(
            schedule, ('student', self.synthesizer.phase),
            type(self.synthesizer).__name__, warmup_rounds)
        for stage in self.stages:
            for path in stage.eval_modules:
                self.get_submodule(path)  # a typo fails at build
        if latent_draws is not None and int(latent_draws) < 1:
            raise ValueError(
                f'latent_draws must be >= 1, got {latent_draws!r}')
        self.latent_draws = latent_draws
        #: 0-based index of the current round (set by ``train_step``).
        self.round_index = 0
        self._finish_build(
            list(self.generator_losses.values()) +
            list(self.student_losses.values()), teacher_ckpt, student_ema,
            max_nonfinite_steps)
        self._num_classes = num_classes(self.teacher)
        self._check_synthesized_shape()
        self._check_teacher_output()
        self.synthesizer.setup(self)

    @staticmethod
    def _moved_message(moved: dict) -> str:
        names = sorted(moved)
        if set(names) <= set(MOVED_TO_SYNTHESIZER):
            return (
                f'DataFreeDistiller got {names}: since mmdfkd 0.2 these are '
                'arguments of the pool synthesizer; move them into '
                "model.synthesizer (e.g. synthesizer=dict(type="
                "'PixelSynthesizer', ..., pool=dict(max_size=None)))")
        return f'DataFreeDistiller got unexpected arguments {names}'

    # ------------------------------------------------------------ building
    @torch.no_grad()
    def _check_latent_preprocessor(self) -> None:
        """Fail at build time when the data preprocessor cannot pass a
        latent batch through (e.g. an image preprocessor given as the
        config's top-level ``data_preprocessor``)."""
        try:
            self.data_preprocessor(dict(latents=torch.zeros(1, 1)), True)
        except Exception as e:
            raise ValueError(
                f'{type(self).__name__} trains on latent batches, but its '
                f'data preprocessor {type(self.data_preprocessor).__name__} '
                f'cannot take one ({type(e).__name__}: {e}). If it is the '
                "config's top-level `data_preprocessor` (MMEngine's Runner "
                'passes it into the model), set `data_preprocessor = None` '
                'at the top level of the config: teacher and student '
                'normalise with their own.') from e

    def _probe(self) -> Optional[torch.Tensor]:
        """The synthesizer's probe images, every module in eval mode."""
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            return self.synthesizer.probe()
        finally:
            for m, mode in modes:
                m.training = mode

    @torch.no_grad()
    def _check_synthesized_shape(self) -> None:
        """Fail at build time when teacher or student cannot take what the
        synthesizer makes (channels, size), or when their logits do not
        line up (per-image vs per-pixel), rather than mid-training."""
        images = self._probe()
        if images is None:
            return
        what = f'{type(self.synthesizer).__name__}\'s'
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            shapes = {}
            for role in ('teacher', 'student'):
                net = getattr(self, role)
                channels = self.normalizers[role].channels
                if channels is not None and channels != images.shape[1]:
                    raise ValueError(
                        f'the {role} cannot take the {what} '
                        f'{tuple(images.shape[1:])} (C×H×W) images: its data '
                        f'preprocessor normalises {channels} channels. Make '
                        f'the synthesizer\'s images {channels}-channel (the '
                        'generator\'s `out_channels`, or `image_shape`).')
                try:
                    out = net(self.normalize(images, role), mode='tensor')
                except Exception as e:
                    raise ValueError(
                        f'the {role} cannot take the {what} '
                        f'{tuple(images.shape[1:])} (C×H×W) images: '
                        f'{type(e).__name__}: {e}. Set the generator\'s '
                        '`out_channels` / `img_size` (or the synthesizer\'s '
                        f'`image_shape`) to an input the {role} accepts.'
                    ) from e
                shapes[role] = tuple(logits_to_rows(
                    out, tuple(images.shape[-2:])).shape)
            if shapes['teacher'] != shapes['student']:
                raise ValueError(
                    'teacher and student logits do not line up on the '
                    f'{what} {tuple(images.shape[1:])} images: rows '
                    f'of {shapes["teacher"]} vs {shapes["student"]}; pair a '
                    'classifier with a classifier and a segmentor with a '
                    'segmentor.')
        finally:
            for m, mode in modes:
                m.training = mode

    @torch.no_grad()
    def _check_teacher_output(self) -> None:
        """Fail at build time when the teacher's logits on a probe batch
        are not finite (weights that overflow together, though each one
        passed the load checks)."""
        images = self._probe()
        if images is None:
            return
        with torch.no_grad():
            out = self.teacher_forward(images)
        if not torch.isfinite(out).all():
            raise ValueError(
                f'the teacher (weights {self.teacher_ckpt!r}) gives '
                'non-finite logits on a probe batch: its weights overflow '
                'in the forward pass. Retrain the teacher or restore an '
                'intact copy of its weights.')

    def optim_targets(self) -> Dict[str, torch.nn.Module]:
        return dict(super().optim_targets(),
                    **self.synthesizer.optim_targets())

    def ddp_targets(self):
        return super().ddp_targets() + [
            f'synthesizer.{path}' for path in self.synthesizer.ddp_targets()
        ]

    # ------------------------------------------------------------ stepping
    @property
    def stage(self) -> Stage:
        """The stage of the current (or, between rounds, the next) round."""
        return stage_at(self.stages, self.round_index)

    @property
    def generator_terms(self) -> Mapping[str, LossTerm]:
        """The generator-loss terms of the current stage."""
        if not self.stage.teacher_only:
            return self.generator_losses
        return {name: term for name, term in self.generator_losses.items()
                if not term.needs_student}

    def _draws(self, stage: Stage) -> int:
        """Latent draws a round of ``stage`` takes."""
        if self.latent_draws is not None:
            return int(self.latent_draws)
        takes = (self.synthesizer.phase, 'student'
                 ) if self.synthesizer.student_takes_latents else (
                     self.synthesizer.phase, )
        return max(1, sum(n for phase, n in stage.phases if phase in takes))

    def round_latents(
            self, data: dict) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """N×draws×D latents (and N×draws labels, or None) of a round of
        the current stage, on the device, from a batch of the latent
        source."""
        if 'seed' in data:
            latents, labels = draw_latents(
                data['seed'], data['index'], self._draws(self.stage),
                self.synthesizer.latent_dim or 1, self._num_classes)
            data = dict(latents=latents, labels=labels)
        data = self.data_preprocessor(data, True)
        latents, labels = data['latents'], data.get('labels')
        if latents.dim() == 2:  # a source with one draw per item
            latents = latents.unsqueeze(1)
            labels = None if labels is None else labels.unsqueeze(1)
        return latents, labels

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        self.round_index = int(self.rounds)
        stage = self.stage
        latents, labels = self.round_latents(data)
        self.rounds += 1
        for path in stage.eval_modules:
            # set every round: validation puts the model back in train mode
            self.get_submodule(path).eval()
        draws = latents.shape[1]
        sums: Dict[str, torch.Tensor] = {}
        counts: Dict[str, int] = {}
        step = 0
        for phase, count in stage.phases:
            for _ in range(count):
                z = latents[:, step % draws]
                y = None if labels is None else labels[:, step % draws]
                step += 1
                if phase == 'student':
                    log = self.student_step(z, y, optim_wrapper['student'])
                else:
                    log = self.synthesizer.step(self, z, y, optim_wrapper)
                for key, value in log.items():
                    sums[key] = sums.get(key, 0) + value
                    counts[key] = counts.get(key, 0) + 1
        return {key: sums[key] / counts[key] for key in sums}

    def student_step(self, latents: torch.Tensor,
                     labels: Optional[torch.Tensor],
                     wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One student step on the synthesizer's student batch."""
        images, labels = self.synthesizer.student_batch(latents, labels)
        log, ctx = self.train_student(images, labels, wrapper)
        log.update(self.synthesizer.batch_indicators(ctx))
        return log
