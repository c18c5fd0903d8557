"""What the data-free and the real-data distillers share: the networks and
their input normalisation, the contexts the loss terms read, the guarded
update, the student EMA and evaluation."""
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModel, ExponentialMovingAverage
from mmengine.optim import OptimWrapper
from torch import nn

from mmdfkd.models.losses import DistillContext, LossTerm
from mmdfkd.registry import MODELS
from mmdfkd.utils import all_ranks_true, unwrap_model
from .networks import (build_network, has_batchnorm, load_teacher_weights,
                       network_cfg, num_classes)
from .normalization import InputNormalization
from .recorders import BNMomentsRecorder, FeatureRecorder
from .task_adapter import logits_to_rows, rows_per_sample

#: Version of the distillers' state-dict layout (``state_dict`` metadata).
#: 1: mmdfkd 0.1 (a pool synthesizer's pool and student views sat at the
#: top level of the data-free distiller); 2: mmdfkd 0.2.
STATE_VERSION = 2


def check_data_preprocessor(cfg: Union[dict, nn.Module, None],
                            algorithm: str) -> None:
    """Refuse a ``data_preprocessor`` config that names no ``type``.

    MMEngine's ``Runner`` hands the config's top-level
    ``data_preprocessor`` to the model; dataset bases such as mmpretrain's
    ``_base_/datasets/cifar10_bs16.py`` define one for their classifier,
    without a type. A distiller's networks normalise their inputs as their
    own preprocessors do (``model.teacher`` / ``model.student``), so that
    one has no place here.

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


def build_terms(cfgs: Mapping[str, dict]) -> nn.ModuleDict:
    """Loss terms by name, each an mmdfkd :class:`LossTerm`."""
    terms = nn.ModuleDict()
    for name, cfg in cfgs.items():
        term = MODELS.build(cfg)
        if not isinstance(term, LossTerm):
            raise TypeError(f'loss {name!r} built a {type(term).__name__}'
                            ', which is not an mmdfkd LossTerm')
        terms[name] = term
    return terms


class BaseDistiller(BaseModel):
    """A frozen teacher distilled into a student: the parts every
    distiller shares. Subclasses build in their ``__init__``, in this
    order: :meth:`_build_networks`, their own parts and terms,
    :meth:`_finish_build`; and implement ``train_step``.

    Every network sees pixel-space images normalised as its own data
    preprocessor would (:class:`InputNormalization`, from its config).
    ``rounds`` (a buffer: it travels in checkpoints) counts the training
    rounds (runner iterations) done.

    Args:
        data_preprocessor (dict, optional): The model's data preprocessor
            (a typeless one is refused, see
            :func:`check_data_preprocessor`).
        init_cfg (dict, optional): Defaults to None.
    """
    _version = STATE_VERSION
    #: ``(old prefix, new prefix)`` key renames from state version 1.
    STATE_RENAMES: Tuple[Tuple[str, str], ...] = ()

    def __init__(self, data_preprocessor: Optional[dict],
                 init_cfg: Optional[dict] = None) -> None:
        check_data_preprocessor(data_preprocessor, type(self).__name__)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.register_buffer('rounds', torch.zeros((), dtype=torch.long))

    # ------------------------------------------------------------ building
    def _build_networks(self, teacher: Union[dict, str],
                        student: Union[dict, str]) -> None:
        teacher, student = network_cfg(teacher), network_cfg(student)
        self.teacher = build_network(teacher, 'teacher')
        self.student = build_network(student, 'student')
        self.normalizers = nn.ModuleDict(
            dict(teacher=InputNormalization.from_config(teacher),
                 student=InputNormalization.from_config(student)))

    def _finish_build(self, terms: Iterable[LossTerm],
                      teacher_ckpt: Optional[str],
                      student_ema: Optional[dict],
                      max_nonfinite_steps: int) -> None:
        """Check the class counts, load and freeze the teacher, hook the
        records ``terms`` read, keep the student EMA."""
        self.teacher_ckpt = teacher_ckpt
        self.max_nonfinite_steps = max_nonfinite_steps
        self._nonfinite: Dict[str, int] = {}
        n_t, n_s = num_classes(self.teacher), num_classes(self.student)
        if n_t is not None and n_s is not None and n_t != n_s:
            raise ValueError(
                f'the teacher predicts {n_t} classes but the student {n_s}; '
                'set the student head\'s `num_classes` to the teacher\'s.')
        if teacher_ckpt is not None:
            load_teacher_weights(self.teacher, teacher_ckpt)
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        terms = list(terms)
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
        self.student_ema = None
        if student_ema is not None:
            self.student_ema = ExponentialMovingAverage(
                self.student, update_buffers=True, **student_ema)
            self.student_ema.requires_grad_(False)

    @classmethod
    def upgrade_state_dict(cls, state_dict: dict, prefix: str = '',
                           version: Optional[int] = None) -> None:
        """Bring a state dict of this distiller written with state-dict
        layout ``version`` (its ``_metadata``; None: unknown, taken as 1) to
        :data:`STATE_VERSION`, in place.

        Raises:
            ValueError: For a layout newer than this mmdfkd reads.
        """
        version = 1 if version is None else int(version)
        if version > STATE_VERSION:
            raise ValueError(
                f'the checkpoint holds a {cls.__name__} state of layout '
                f'version {version}, written by a newer mmdfkd; this one '
                f'reads versions up to {STATE_VERSION}. Upgrade mmdfkd to '
                'resume or load it.')
        if version == 1:
            for old, new in cls.STATE_RENAMES:
                for key in [k for k in state_dict
                            if k.startswith(prefix + old)]:
                    state_dict[prefix + new + key[len(prefix + old):]] = \
                        state_dict.pop(key)

    # torch's documented hook for state-dict versions (``_version``)
    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              *args, **kwargs) -> None:
        self.upgrade_state_dict(state_dict, prefix,
                                local_metadata.get('version'))
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      *args, **kwargs)

    def optim_targets(self) -> Dict[str, nn.Module]:
        """The modules each optimiser of ``optim_wrapper`` trains."""
        student = self.student
        if any(p.requires_grad for p in self.student_losses.parameters()):
            # trainable loss heads (e.g. CRD's embeddings) learn with it
            student = nn.ModuleList([student, self.student_losses])
        return dict(student=student)

    def ddp_targets(self) -> List[str]:
        """Paths of the submodules a distributed wrapper wraps in DDP."""
        return ['student']

    def init_weights(self) -> None:
        """Initialise the trained parts; the teacher keeps the weights it
        was loaded with (the runner calls this after building)."""
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

    def train(self, mode: bool = True) -> 'BaseDistiller':
        super().train(mode)
        self.teacher.eval()  # its running statistics are the target
        return self

    # -------------------------------------------------------------- inputs
    def normalize(self, images: torch.Tensor, role: str) -> torch.Tensor:
        """Pixel-space ``images`` as the ``'teacher'`` or ``'student'``
        takes them (its own data preprocessor's channel order, mean and
        std)."""
        return self.normalizers[role](images)

    def teacher_forward(self, images: torch.Tensor) -> torch.Tensor:
        """The teacher's output on pixel-space ``images``, in the caller's
        grad mode."""
        return self.teacher(self.normalize(images, 'teacher'), mode='tensor')

    def context(self,
                images: torch.Tensor,
                labels: Optional[torch.Tensor],
                terms: Mapping[str, LossTerm],
                teacher_grad: bool,
                latents: Optional[torch.Tensor] = None,
                student: Optional[nn.Module] = None,
                sample_idx: Optional[torch.Tensor] = None) -> DistillContext:
        """Run the forwards ``terms`` need, with the records they read.

        Args:
            images (Tensor): Pixel-space batch.
            labels (Tensor, optional): Its labels.
            terms (Mapping[str, LossTerm]): The terms that will read it.
            teacher_grad (bool): Whether the teacher's forward keeps a graph
                (gradients reach the images through it).
            latents (Tensor, optional): The latents the batch was made from.
            student (nn.Module, optional): The student to run, if a term
                reads it. Defaults to the unwrapped student.
            sample_idx (Tensor, optional): Dataset indices of the samples.
        """
        student = unwrap_model(self.student) if student is None else student
        need_bn = any(t.needs_bn_moments for t in terms.values())
        need_student = any(t.needs_student for t in terms.values())
        size = tuple(images.shape[-2:])
        if need_bn:
            self._bn_recorder.start()
        self._teacher_recorder.start()
        with torch.set_grad_enabled(teacher_grad and torch.is_grad_enabled()):
            t_out = self.teacher_forward(images)
        ctx = DistillContext(
            images=images,
            labels=labels,
            teacher_logits=logits_to_rows(t_out, size),
            rows_per_sample=rows_per_sample(t_out, size),
            teacher_feats=self._teacher_recorder.stop(),
            bn_moments=self._bn_recorder.stop() if need_bn else [],
            latents=latents,
            sample_idx=sample_idx)
        if need_student:
            self._student_recorder.start()
            s_out = student(self.normalize(images, 'student'), mode='tensor')
            ctx.student_feats = self._student_recorder.stop()
            ctx.student_logits = logits_to_rows(s_out, size)
            if ctx.student_logits.shape != ctx.teacher_logits.shape:
                raise ValueError(
                    'teacher and student logits differ in shape: '
                    f'{tuple(ctx.teacher_logits.shape)} vs '
                    f'{tuple(ctx.student_logits.shape)}')
        return ctx

    # ------------------------------------------------------------ stepping
    def update(self, phase: str, wrapper: OptimWrapper,
               losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Step ``wrapper`` on the summed terms, or skip a non-finite step.

        A skipped step leaves the weights untouched; after
        ``max_nonfinite_steps`` in a row training stops with an error (the
        last checkpoint stays on disk).

        The backward pass is queued before the host reads the finiteness
        flag (copied asynchronously on CUDA), so the device works through
        the backward while the host waits for the forward's result: no
        stall per step. A skipped step has run a backward: its gradients
        are dropped, with those accumulated before it when the wrapper
        accumulates several steps, and it counts as one of them (only the
        wrapper's public API is used).
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
        self._nonfinite[phase] = self._nonfinite.get(phase, 0) + 1
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

    def train_student(self,
                      images: torch.Tensor,
                      labels: Optional[torch.Tensor],
                      wrapper: OptimWrapper,
                      sample_idx: Optional[torch.Tensor] = None
                      ) -> Tuple[Dict[str, torch.Tensor], DistillContext]:
        """One student step on ``images`` with the student-loss terms (and
        the EMA's update); returns the log and the context."""
        terms = self.student_losses
        with wrapper.optim_context(self.student):
            ctx = self.context(images, labels, terms, teacher_grad=False,
                               student=self.student, sample_idx=sample_idx)
            losses = {name: term(ctx) for name, term in terms.items()}
        log = self.update('student', wrapper, losses)
        if self.student_ema is not None and 'student.skipped' not in log:
            self.student_ema.update_parameters(unwrap_model(self.student))
        return log, ctx

    # ---------------------------------------------------------- evaluation
    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return self.final_student.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return self.final_student.test_step(data)

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        """The final student's forward (the model this algorithm makes)."""
        return self.final_student(inputs, data_samples, mode=mode)
