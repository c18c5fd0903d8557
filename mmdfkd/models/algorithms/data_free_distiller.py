import contextlib
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import all_gather
from mmengine.logging import MMLogger
from mmengine.model import BaseModel, ExponentialMovingAverage
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from mmdfkd.models.losses import DistillContext, LossTerm
from mmdfkd.registry import MODELS
from mmdfkd.utils import (all_ranks_true, global_sum, is_distributed,
                          unwrap_model)
from mmdfkd.models.synthesizers.pool import SyntheticPool
from .networks import (build_network, has_batchnorm, input_normalization,
                       load_teacher_weights, num_classes)
from .recorders import BNMomentsRecorder, FeatureRecorder
from .task_adapter import logits_to_rows, rows_per_sample

PHASES = ('generator', 'synthesis', 'student')


@contextlib.contextmanager
def frozen(module: nn.Module):
    """Parameters of ``module`` get no gradient inside the block."""
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@contextlib.contextmanager
def eval_mode(module: nn.Module):
    """``module`` in eval mode inside the block (BatchNorm uses and keeps
    its running statistics); every submodule's train/eval flag is restored
    after."""
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, flag in flags:
            m.training = flag


def batch_diversity(logits: torch.Tensor,
                    rows_per_image: int = 1) -> Dict[str, torch.Tensor]:
    """Mode-collapse indicators of a synthesized batch from the teacher's
    logits, as rows (per image, or per pixel with ``rows_per_image`` =
    H*W): the mean pairwise distance of the L2-normalised per-image logits
    (a pixel's rows averaged first; 0 when every image looks the same to
    the teacher, up to 2), and the entropy of the teacher's class histogram
    over all rows divided by log C (1 when balanced, 0 for one class).

    Under DDP both are figures of the global batch (the per-image logits
    are gathered, the histograms summed), as the losses see it: a rank's
    slice may be too small to hold every class. Every rank must call it.
    """
    rows = logits.detach().float()
    c = rows.shape[1]
    images = rows.reshape(-1, rows_per_image, c).mean(1)
    feats = torch.nn.functional.normalize(images, dim=1)
    if is_distributed():
        feats = torch.cat(all_gather(feats))
    n = feats.shape[0]
    pairwise = torch.cdist(feats, feats).sum() / max(n * (n - 1), 1)
    hist = global_sum(torch.bincount(rows.argmax(1), minlength=c).float())
    return {
        'synthesis.diversity': pairwise,
        'synthesis.class_balance': class_balance(hist)
    }


def check_data_preprocessor(cfg: Union[dict, nn.Module, None],
                            algorithm: str) -> None:
    """Refuse a ``data_preprocessor`` config that names no ``type``.

    MMEngine's ``Runner`` hands the config's top-level
    ``data_preprocessor`` to the model; dataset bases such as mmpretrain's
    ``_base_/datasets/cifar10_bs16.py`` define one for their classifier,
    without a type. A distiller's networks normalise their inputs with
    their own preprocessors (in ``model.teacher`` / ``model.student``), so
    that one has no place here.

    Raises:
        ValueError: naming the key, where it comes from and the fix.
    """
    if isinstance(cfg, dict) and 'type' not in cfg:
        raise ValueError(
            f'{algorithm} got data_preprocessor={dict(cfg)!r}, which names '
            "no `type`: most likely the config's top-level "
            '`data_preprocessor` (e.g. inherited from mmpretrain\'s '
            '_base_/datasets/cifar10_bs16.py), which MMEngine\'s Runner '
            'passes into the model. Teacher and student normalise their '
            'inputs with their own data preprocessors (model.teacher / '
            'model.student): set `data_preprocessor = None` at the top '
            'level of the config.')


def class_balance(counts: torch.Tensor) -> torch.Tensor:
    """Entropy of a class histogram divided by log C: 1 when every class
    is as frequent, 0 when one class holds everything."""
    hist = counts.float() / counts.sum().clamp_min(1)
    entropy = -(hist * hist.clamp_min(1e-12).log()).sum()
    return entropy / torch.log(torch.tensor(float(len(counts))))


@MODELS.register_module()
class DataFreeDistiller(BaseModel):
    """Data-free distillation of a frozen teacher into a student.

    One runner iteration is one *round* of the ``schedule``: e.g. DFAD's five
    student steps followed by one generator step. Each step takes the next
    draw of latents from the batch the latent source gave (draws are reused
    cyclically, so a source with one draw per item gives ZSKT's "same z"
    rounds). Generator and student have their own optimisers
    (``OptimWrapperDict`` keys ``'generator'`` and ``'student'``).

    Phases: ``'generator'`` is one update of an online generator (a fresh
    batch per student step); ``'synthesis'`` is one round of a pool
    synthesizer (it optimises a batch and appends it to ``pool``), after
    which student steps train on batches drawn from the pool.

    Args:
        teacher (dict | str): Teacher model config, or a config path such as
            ``'mmpretrain::resnet/resnet34_8xb16_cifar10.py'``.
        student (dict | str): Student model config or config path.
        synthesizer (dict): How synthesized batches are made.
        generator_losses (dict): Name → loss-term config, summed for the
            generator step.
        student_losses (dict): Name → loss-term config for the student step.
        teacher_ckpt (str, optional): Teacher weights, loaded as untrusted
            input with ``weights_only=True``. None keeps the weights the
            teacher config initialises (tests only). Defaults to None.
        schedule (Sequence[tuple[str, int]]): Phases of one round, in order.
            Defaults to ``(('student', 5), ('generator', 1))`` (DFAD).
        pool (dict, optional): ``SyntheticPool`` arguments (e.g.
            ``max_size``) for pool synthesizers. Defaults to None.
        student_views (dict, optional): ``DifferentiableViews`` applied to
            pool batches before the student step (the usual train
            augmentation). Defaults to None.
        student_batch_size (int, optional): Batch drawn from the pool for a
            student step. Defaults to the latent batch size.
        warmup_rounds (int): Rounds at the start that only synthesize: the
            student phases are skipped, and synthesis leaves out the
            generator-loss terms that read the student (the adversarial
            ones: the student has not learnt anything yet), as in Fast
            DFKD's warm-up. Defaults to 0.
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

    def __init__(self,
                 teacher: Union[dict, str],
                 student: Union[dict, str],
                 synthesizer: dict,
                 generator_losses: Dict[str, dict],
                 student_losses: Dict[str, dict],
                 teacher_ckpt: Optional[str] = None,
                 schedule: Sequence[Tuple[str, int]] = (('student', 5),
                                                        ('generator', 1)),
                 pool: Optional[dict] = None,
                 student_views: Optional[dict] = None,
                 student_batch_size: Optional[int] = None,
                 warmup_rounds: int = 0,
                 student_ema: Optional[dict] = None,
                 max_nonfinite_steps: int = 20,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        check_data_preprocessor(data_preprocessor, type(self).__name__)
        super().__init__(
            data_preprocessor=data_preprocessor or dict(
                type='BaseDataPreprocessor'),
            init_cfg=init_cfg)
        self._check_latent_preprocessor()
        self.teacher = build_network(teacher, 'teacher')
        self.student = build_network(student, 'student')
        self.synthesizer = MODELS.build(synthesizer)
        self.generator_losses = self._build_terms(generator_losses)
        self.student_losses = self._build_terms(student_losses)
        self.pool = None
        if not self.synthesizer.online:
            self.pool = SyntheticPool(**(pool or {}))
        self.student_views = (
            MODELS.build(student_views) if student_views else None)
        self.student_batch_size = student_batch_size
        self.warmup_rounds = warmup_rounds
        # rounds trained so far (a buffer: it travels in checkpoints)
        self.register_buffer('rounds', torch.zeros((), dtype=torch.long))
        self.schedule = self._check_schedule(schedule)
        self.teacher_ckpt = teacher_ckpt
        self.max_nonfinite_steps = max_nonfinite_steps
        self._nonfinite = dict.fromkeys(PHASES, 0)
        self.last_images: Optional[torch.Tensor] = None

        self._check_class_counts()
        if teacher_ckpt is not None:
            load_teacher_weights(self.teacher, teacher_ckpt)
        self.teacher.requires_grad_(False)
        self.teacher.eval()

        terms = list(self.generator_losses.values()) + list(
            self.student_losses.values())
        bn_terms = [t for t in terms if t.needs_bn_moments]
        if bn_terms and not has_batchnorm(self.teacher):
            raise ValueError(
                f'{type(bn_terms[0]).__name__} matches the teacher\'s '
                'BatchNorm statistics, but the teacher has no BatchNorm '
                'layer with running statistics. Use a method without a '
                'BN-statistics term (e.g. DFAD, DAFL, ZSKT) or a teacher '
                'with BatchNorm.')
        self._bn_recorder = BNMomentsRecorder(
            self.teacher) if bn_terms else None
        self._teacher_recorder = FeatureRecorder(
            self.teacher, [n for t in terms for n in t.teacher_records])
        self._student_recorder = FeatureRecorder(
            self.student, [n for t in terms for n in t.student_records])
        self._norms = {
            'teacher': input_normalization(self.teacher),
            'student': input_normalization(self.student),
        }
        self._check_synthesized_shape()
        self._check_teacher_output()
        if hasattr(self.synthesizer, 'bind'):  # it reads teacher features
            self.synthesizer.bind(
                self.teacher,
                lambda x: self.teacher(
                    self._normalize(x, 'teacher'), mode='tensor'))
        self.student_ema = None
        if student_ema is not None:
            self.student_ema = ExponentialMovingAverage(
                self.student, update_buffers=True, **student_ema)
            self.student_ema.requires_grad_(False)

    # ------------------------------------------------------------ building
    @staticmethod
    def _build_terms(cfgs: Dict[str, dict]) -> nn.ModuleDict:
        terms = nn.ModuleDict()
        for name, cfg in cfgs.items():
            term = MODELS.build(cfg)
            if not isinstance(term, LossTerm):
                raise TypeError(f'loss {name!r} built a {type(term).__name__}'
                                ', which is not an mmdfkd LossTerm')
            terms[name] = term
        return terms

    def _check_schedule(self, schedule) -> List[Tuple[str, int]]:
        schedule = [(str(phase), int(count)) for phase, count in schedule]
        online = self.synthesizer.online
        for phase, count in schedule:
            if phase not in PHASES or count < 0:
                raise ValueError(
                    f'schedule entries are (phase, count) with phase in '
                    f'{PHASES} and count >= 0, got {(phase, count)}')
            if (phase == 'generator' and not online) or (phase == 'synthesis'
                                                         and online):
                raise ValueError(
                    f'phase {phase!r} does not fit '
                    f'{type(self.synthesizer).__name__}: online generators '
                    "use 'generator', pool synthesizers 'synthesis'")
        return schedule

    def _check_class_counts(self) -> None:
        n_t, n_s = num_classes(self.teacher), num_classes(self.student)
        if n_t is not None and n_s is not None and n_t != n_s:
            raise ValueError(
                f'the teacher predicts {n_t} classes but the student {n_s}; '
                'set the student head\'s `num_classes` to the teacher\'s.')

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

    @torch.no_grad()
    def _check_synthesized_shape(self) -> None:
        """Fail at build time when teacher or student cannot take what an
        online generator makes (channels, size), or when their logits do
        not line up (per-image vs per-pixel), rather than mid-training."""
        if not self.synthesizer.online:
            return
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            z = torch.zeros(2, self.synthesizer.latent_dim)
            images = self.synthesizer(z)
            shapes = {}
            for role in ('teacher', 'student'):
                net, norm = getattr(self, role), self._norms[role]
                if norm is not None and norm[0].shape[0] != images.shape[1]:
                    raise ValueError(
                        f'the {role} cannot take the generator\'s '
                        f'{tuple(images.shape[1:])} (C×H×W) images: its data '
                        f'preprocessor normalises {norm[0].shape[0]} '
                        'channels. Set the generator\'s `out_channels` to '
                        f'{norm[0].shape[0]}.')
                try:
                    out = net(self._normalize(images, role), mode='tensor')
                except Exception as e:
                    raise ValueError(
                        f'the {role} cannot take the generator\'s '
                        f'{tuple(images.shape[1:])} (C×H×W) images: '
                        f'{type(e).__name__}: {e}. Set the generator\'s '
                        '`out_channels` / `img_size` to an input the '
                        f'{role} accepts.') from e
                shapes[role] = tuple(logits_to_rows(
                    out, tuple(images.shape[-2:])).shape)
            if shapes['teacher'] != shapes['student']:
                raise ValueError(
                    'teacher and student logits do not line up on the '
                    f'generator\'s {tuple(images.shape[1:])} images: rows '
                    f'of {shapes["teacher"]} vs {shapes["student"]}; pair a '
                    'classifier with a classifier and a segmentor with a '
                    'segmentor.')
        finally:
            for m, mode in modes:
                m.training = mode

    def _probe_images(self) -> Optional[torch.Tensor]:
        """Two images of the synthesizer's kind (from zero latents, or
        mid-grey pixels of its image shape), or None when it does not say
        what it makes."""
        synth = self.synthesizer
        generator = getattr(synth, 'generator', None)
        if not getattr(synth, 'synthesizes', True):
            return None
        if synth.online:
            return synth(torch.zeros(2, synth.latent_dim))
        if generator is not None and hasattr(synth, 'to_pixels'):
            z = torch.zeros(2, unwrap_model(generator).latent_dim)
            return synth.to_pixels(generator(z))
        shape = getattr(synth, 'image_shape', None)
        if shape is None:
            return None
        low, high = synth.pixel_range
        return torch.full((2, *shape), (low + high) / 2)

    @torch.no_grad()
    def _check_teacher_output(self) -> None:
        """Fail at build time when the teacher's logits on a probe batch
        are not finite (weights that overflow together, though each one
        passed the load checks)."""
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            images = self._probe_images()
            if images is None:
                return
            out = self.teacher(self._normalize(images, 'teacher'),
                               mode='tensor')
        finally:
            for m, mode in modes:
                m.training = mode
        if not torch.isfinite(out).all():
            raise ValueError(
                f'the teacher (weights {self.teacher_ckpt!r}) gives '
                'non-finite logits on a probe batch: its weights overflow '
                'in the forward pass. Retrain the teacher or restore an '
                'intact copy of its weights.')

    def optim_targets(self) -> Dict[str, nn.Module]:
        """The modules each optimiser of ``optim_wrapper`` trains."""
        student = self.student
        if any(p.requires_grad for p in self.student_losses.parameters()):
            # trainable loss heads (e.g. CRD's embeddings) learn with it
            student = nn.ModuleList([student, self.student_losses])
        return dict(student=student, **self.synthesizer.optim_targets())

    def ddp_targets(self) -> List[str]:
        """Paths of the submodules a distributed wrapper wraps in DDP."""
        return ['student'] + [
            f'synthesizer.{path}' for path in self.synthesizer.ddp_targets()
        ]

    def init_weights(self) -> None:
        """Initialise student and synthesizer; the teacher keeps the weights
        it was loaded with (the runner calls this after building)."""
        teacher_state = {
            k: v.clone()
            for k, v in self.teacher.state_dict().items()
        }
        super().init_weights()
        self.teacher.load_state_dict(teacher_state)
        if self.student_ema is not None:
            self.student_ema.module.load_state_dict(
                unwrap_model(self.student).state_dict())

    @property
    def final_student(self) -> nn.Module:
        """The student that is evaluated and exported: the moving average
        when one is kept."""
        if self.student_ema is not None:
            return self.student_ema.module
        return unwrap_model(self.student)

    def train(self, mode: bool = True) -> 'DataFreeDistiller':
        super().train(mode)
        self.teacher.eval()  # its running statistics are the target
        return self

    # ------------------------------------------------------------ stepping
    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        data = self.data_preprocessor(data, True)
        latents, labels = data['latents'], data.get('labels')
        if latents.dim() == 2:  # a source with one draw per item
            latents = latents.unsqueeze(1)
            labels = None if labels is None else labels.unsqueeze(1)
        draws = latents.shape[1]
        sums: Dict[str, torch.Tensor] = {}
        counts: Dict[str, int] = {}
        step = 0
        warming_up = self.warmup_rounds and int(
            self.rounds) < self.warmup_rounds
        self.rounds += 1
        for phase, count in self.schedule:
            if warming_up and phase == 'student':
                continue
            for _ in range(count):
                z = latents[:, step % draws]
                y = None if labels is None else labels[:, step % draws]
                step += 1
                if phase == 'generator':
                    log = self._generator_step(z, y, optim_wrapper[phase])
                elif phase == 'synthesis':
                    log = self.synthesis_round(z, y, warming_up=warming_up)
                else:
                    log = self._student_step(z, y, optim_wrapper[phase])
                for key, value in log.items():
                    sums[key] = sums.get(key, 0) + value
                    counts[key] = counts.get(key, 0) + 1
        return {key: sums[key] / counts[key] for key in sums}

    def _generator_step(self, z: torch.Tensor, y: Optional[torch.Tensor],
                        wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        terms = self.generator_losses
        with wrapper.optim_context(self.synthesizer), \
                frozen(unwrap_model(self.student)):
            images = self.synthesizer(z)
            # The unwrapped student: its DDP reducer expects no gradient here.
            ctx = self._context(images, y, terms, unwrap_model(self.student),
                                teacher_grad=True)
            ctx.latents = z  # read by the inter-sample diversity term
            losses = {name: term(ctx) for name, term in terms.items()}
        log = self._update('generator', wrapper, losses)
        # what the teacher sees in the batch, for the collapse monitor
        log.update(batch_diversity(ctx.teacher_logits, ctx.rows_per_sample))
        return log

    def synthesis_round(self,
                        z: torch.Tensor,
                        y: Optional[torch.Tensor],
                        warming_up: bool = False) -> Dict[str, torch.Tensor]:
        """Synthesize one batch with the generator-loss terms and append
        it, with the teacher's labels, to the pool.

        The student is in eval mode meanwhile, as in the reference code of
        DeepInversion, CMI and Fast DFKD: the synthesis iterates do not
        move its BatchNorm running statistics. ``warming_up`` leaves out
        the terms that read the student."""
        terms = self.generator_losses
        if warming_up:
            terms = nn.ModuleDict({
                name: term
                for name, term in terms.items() if not term.needs_student
            })
        student = unwrap_model(self.student)

        def loss_fn(images: torch.Tensor) -> Dict[str, torch.Tensor]:
            ctx = self._context(images, y, terms, student, teacher_grad=True)
            return {name: term(ctx) for name, term in terms.items()}

        with frozen(student), eval_mode(student):
            images, losses = self.synthesizer.synthesize(loss_fn, z)
        for term in terms.values():
            term.end_round()
        with torch.no_grad():
            logits = self.teacher(
                self._normalize(images, 'teacher'), mode='tensor')
        labels = logits.argmax(1)
        self.pool.add(images, labels)
        self.last_images = images
        log = {f'synthesis.loss_{name}': v for name, v in losses.items()}
        log['synthesis.loss'] = sum(losses.values())
        log['synthesis.pool_size'] = torch.tensor(float(len(self.pool)))
        log.update(batch_diversity(logits))
        # what the student trains on: the classes of the whole pool
        counts = self.pool.class_counts(logits.shape[1]).to(logits.device)
        log['synthesis.pool_class_balance'] = class_balance(
            global_sum(counts.float()))
        return log

    def _student_batch(self, z: torch.Tensor) -> torch.Tensor:
        """A fresh online batch, or one drawn from the pool."""
        if self.pool is None:
            with torch.no_grad():
                images = self.synthesizer(z)
            self.last_images = images
            return images
        if len(self.pool) == 0:
            raise RuntimeError(
                'the pool is empty: schedule a synthesis phase before the '
                'first student step')
        images, _ = self.pool.sample(
            self.student_batch_size or len(z), device=z.device)
        if self.student_views is not None:
            images = self.student_views(images)
        return images

    def _student_step(self, z: torch.Tensor, y: Optional[torch.Tensor],
                      wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        terms = self.student_losses
        images = self._student_batch(z)
        if self.pool is not None:
            y = None  # latent labels do not belong to pool samples
        with wrapper.optim_context(self.student):
            ctx = self._context(images, y, terms, self.student,
                                teacher_grad=False)
            losses = {name: term(ctx) for name, term in terms.items()}
        log = self._update('student', wrapper, losses)
        if self.pool is None and getattr(self.synthesizer, 'synthesizes',
                                         True):
            # a fresh online batch: watch it as well
            log.update(
                batch_diversity(ctx.teacher_logits, ctx.rows_per_sample))
        if self.student_ema is not None and 'student.skipped' not in log:
            self.student_ema.update_parameters(unwrap_model(self.student))
        return log

    def _normalize(self, images: torch.Tensor, role: str) -> torch.Tensor:
        norm = self._norms[role]
        if norm is None:
            return images
        mean, std = norm
        if mean.device != images.device:
            mean, std = mean.to(images.device), std.to(images.device)
            self._norms[role] = (mean, std)
        return (images - mean) / std

    def _context(self, images: torch.Tensor, labels: Optional[torch.Tensor],
                 terms: nn.ModuleDict, student: nn.Module,
                 teacher_grad: bool) -> DistillContext:
        """Run the forwards the terms need, with the records they read."""
        need_bn = any(t.needs_bn_moments for t in terms.values())
        need_student = any(t.needs_student for t in terms.values())
        size = tuple(images.shape[-2:])
        if need_bn:
            self._bn_recorder.start()
        self._teacher_recorder.start()
        with torch.set_grad_enabled(teacher_grad and torch.is_grad_enabled()):
            t_out = self.teacher(self._normalize(images, 'teacher'),
                                 mode='tensor')
        ctx = DistillContext(
            images=images,
            labels=labels,
            teacher_logits=logits_to_rows(t_out, size),
            rows_per_sample=rows_per_sample(t_out, size),
            teacher_feats=self._teacher_recorder.stop(),
            bn_moments=self._bn_recorder.stop() if need_bn else [])
        if need_student:
            self._student_recorder.start()
            s_out = student(self._normalize(images, 'student'), mode='tensor')
            ctx.student_feats = self._student_recorder.stop()
            ctx.student_logits = logits_to_rows(s_out, size)
            if ctx.student_logits.shape != ctx.teacher_logits.shape:
                raise ValueError(
                    'teacher and student logits differ in shape: '
                    f'{tuple(ctx.teacher_logits.shape)} vs '
                    f'{tuple(ctx.student_logits.shape)}')
        return ctx

    def _update(self, phase: str, wrapper: OptimWrapper,
                losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Step ``wrapper`` on the summed terms, or skip a non-finite step.

        A skipped step leaves the weights untouched; after
        ``max_nonfinite_steps`` in a row training stops with an error (the
        last checkpoint stays on disk).

        The backward pass is queued before the host reads the finiteness
        flag (copied asynchronously on CUDA), so the device works through
        the backward while the host waits for the forward's result: no
        stall per step. A skipped step has run a backward (its gradients
        are dropped, and it does not count as an accumulation step).
        """
        total = sum(losses.values())
        # 'loss' in every key: MMEngine's log processor smooths only those.
        log = {
            f'{phase}.loss_{name}': v.detach()
            for name, v in losses.items()
        }
        log[f'{phase}.loss'] = total.detach()
        finite = torch.isfinite(log[f'{phase}.loss'])
        ready = None
        if finite.is_cuda:
            host = torch.empty((), dtype=torch.bool, pin_memory=True)
            host.copy_(finite, non_blocking=True)
            ready = torch.cuda.Event()
            ready.record()
            finite = host
        wrapper.backward(wrapper.scale_loss(total))
        if ready is not None:
            ready.synchronize()
        if all_ranks_true(bool(finite), total.device):
            if wrapper.should_update():
                wrapper.step()
                wrapper.zero_grad()
            self._nonfinite[phase] = 0
            return log
        wrapper.zero_grad()
        wrapper._inner_count -= 1  # undo the skipped backward's count
        self._nonfinite[phase] += 1
        bad = {k: float(v) for k, v in log.items()}
        MMLogger.get_current_instance().warning(
            f'non-finite {phase} loss, step skipped '
            f'({self._nonfinite[phase]} in a row): {bad}')
        if self._nonfinite[phase] >= self.max_nonfinite_steps:
            raise FloatingPointError(
                f'{self._nonfinite[phase]} consecutive non-finite {phase} '
                'losses; stopping. Lower the learning rates or loss weights, '
                'or resume from the last checkpoint.')
        return {f'{phase}.skipped': total.new_tensor(1.0)}

    # ---------------------------------------------------------- evaluation
    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return self.final_student.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return self.final_student.test_step(data)

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        """The final student's forward (the model this algorithm makes)."""
        return self.final_student(inputs, data_samples, mode=mode)
