"""The real components a benchmark times, built from method configs.

A *case* is one thing timed per iteration: an online generator step, one
inner step of a pool synthesizer, or a student step. Each case holds the
real step (the synthesizer's and the distiller's own public steps, built
from the method config with ``teacher_ckpt=None``) and its *floor*
(:mod:`mmdfkd.benchmark.floors`): the passes the method's math needs, as
bare PyTorch calls on freshly built copies of the same networks. A
synthesizer without a floor of its own is timed against its family's (an
online generator step, or a step on a batch of pixels).
"""
import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdfkd.models.algorithms.networks import build_network, num_classes
from mmdfkd.models.synthesizers import (ContrastiveSynthesizer, MemoryBank,
                                        MetaSynthesizer, OnlineSynthesizer,
                                        PoolSynthesizer)
from mmdfkd.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from . import floors


@dataclass
class Case:
    """One timed case.

    Args:
        name (str): Entry name (the synthesizer type, or ``'student'``).
        config (str): Method config it was built from.
        method (callable): Runs the real step(s).
        floor (callable): Runs the floor step(s).
        iters (int): Iterations one ``method``/``floor`` call covers.
        method_lo (callable, optional): For pool synthesizers: a round with
            fewer inner steps; the per-iteration cost is the difference of
            the two rounds divided by ``iters`` (the fixed cost of a round
            cancels out). Defaults to None.
        floor_desc (str): What the floor runs.
        extra (dict): Other figures to report.
    """
    name: str
    config: str
    method: Callable[[], None]
    floor: Callable[[], None]
    iters: int = 1
    method_lo: Optional[Callable[[], None]] = None
    floor_desc: str = ''
    extra: Dict[str, Any] = field(default_factory=dict)


def _resize(obj: Any, size: int) -> Any:
    """Replace the image size in a config tree: ``img_size``, the last two
    entries of ``image_shape`` and the ``size`` of view transforms."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key == 'img_size':
                value = size
            elif key == 'image_shape':
                value = (value[0], size, size)
            elif key == 'size' and isinstance(value, (tuple, list)):
                value = (size, size)
            else:
                value = _resize(value, size)
            out[key] = value
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_resize(v, size) for v in obj)
    return obj


def load_method(path: str,
                teacher: Optional[str] = None,
                student: Optional[str] = None,
                img_size: Optional[int] = None) -> Config:
    """A method config with the teacher checkpoint dropped and, when
    given, other networks (config paths) and image size."""
    cfg = Config.fromfile(path)
    model = cfg.model.to_dict()
    model['teacher_ckpt'] = None
    if teacher is not None:
        model['teacher'] = teacher
    if student is not None:
        model['student'] = student
    if img_size is not None:
        model = _resize(model, img_size)
    cfg.model = model
    return cfg


class Built:
    """A distiller built from a method config, with its optimisers and the
    inputs of one step.

    Args:
        cfg (Config): From :func:`load_method`.
        batch_size (int): Latent / image batch.
        device (torch.device): Where everything runs.
        channels_last (bool): Convert the networks and inputs to the
            channels-last memory format.
        amp (bool): Mixed precision (the optimiser wrappers ``--amp`` of
            ``tools/train.py`` selects; pool synthesizers' inner loops get
            bfloat16 autocast).
    """

    def __init__(self, cfg: Config, batch_size: int, device: torch.device,
                 channels_last: bool = False, amp: bool = False) -> None:
        self.cfg = cfg
        self.device = device
        self.channels_last = channels_last
        self.amp = amp
        model_cfg = copy.deepcopy(cfg.model)
        if amp and issubclass(MODELS.get(model_cfg['synthesizer']['type']),
                              PoolSynthesizer):
            model_cfg['synthesizer']['autocast_dtype'] = 'bfloat16'
        with DefaultScope.overwrite_default_scope('mmdfkd'):
            self.model = MODELS.build(model_cfg).to(device)
            self.model.train()
            # the steady state: a round of the last stage (no warm-up)
            self.model.round_index = sum(
                stage.rounds for stage in self.model.stages[:-1])
            optim = copy.deepcopy(cfg.optim_wrapper.to_dict())
            optim.pop('constructor', None)
            if amp:
                for sub in optim.values():
                    sub.update(_amp_wrapper(device))
            self.wrappers = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(type='MultiOptimWrapperConstructor',
                     optim_wrapper_cfg=optim))(self.model)
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        gen = torch.Generator().manual_seed(0)
        self.z = torch.randn(batch_size, self.synthesizer.latent_dim or 1,
                             generator=gen).to(device)
        self.y = torch.randint(num_classes(self.model.teacher) or 10,
                               (batch_size, ), generator=gen).to(device)
        self.batch_size = batch_size

    @property
    def synthesizer(self):
        return self.model.synthesizer

    def needs_student(self, phase: str) -> bool:
        terms = (self.model.generator_losses
                 if phase == 'generator' else self.model.student_losses)
        return any(t.needs_student for t in terms.values())

    def network(self, role: str, frozen: bool = True) -> torch.nn.Module:
        """A fresh copy of the teacher or student (no hooks), with the same
        weights, mode and memory format as the distiller's."""
        src = getattr(self.model, role)
        with DefaultScope.overwrite_default_scope('mmdfkd'):
            net = build_network(self.cfg.model[role], role).to(self.device)
        net.load_state_dict(src.state_dict())
        net.train(src.training)
        net.requires_grad_(not frozen)
        if self.channels_last:
            net.to(memory_format=torch.channels_last)
        return net

    def autocast(self, floor: Callable[[], None],
                 wrapper: bool) -> Callable[[], None]:
        """``floor`` under the autocast the real step runs with: the
        optimiser wrapper's (fp16 on CUDA, bf16 on CPU) or the pool
        synthesizers' (bf16). Unchanged without ``amp``."""
        if not self.amp:
            return floor
        dtype = (torch.float16 if wrapper and self.device.type == 'cuda'
                 else torch.bfloat16)

        def run():
            with torch.autocast(device_type=self.device.type, dtype=dtype):
                floor()
        return run

    def image_batch(self) -> torch.Tensor:
        """A random batch of images in pixel space."""
        shape = _image_shape(self)
        return torch.rand(self.batch_size, *shape, device=self.device) * 255


def _amp_wrapper(device: torch.device) -> dict:
    if device.type == 'cuda':
        return dict(type='AmpOptimWrapper', loss_scale='dynamic')
    return dict(type='mmdfkd.AutocastOptimWrapper', dtype='bfloat16')


def _fill_pool(built: Built, rounds: int = 4) -> None:
    pool = built.synthesizer.pool
    shape = _image_shape(built)
    for _ in range(rounds):
        pool.add(
            torch.rand(built.batch_size, *shape, device=built.device) * 255,
            torch.randint(10, (built.batch_size, ), device=built.device))


def _image_shape(built: Built) -> tuple:
    with torch.no_grad():
        return tuple(built.synthesizer.probe().shape[1:])


def fill_memory_bank(built: Built) -> MemoryBank:
    """Fill the contrastive synthesizer's own bank with random raw
    feature rows (a full bank: draws of the configured size)."""
    bank = built.synthesizer.memory_bank.to(built.device)
    bank.push(torch.randn(bank.size, bank.dim, device=built.device))
    return bank


def synthesizer_case(built: Built, config: str, iters: int) -> Case:
    """The synthesizer's iteration: an online generator step, or one inner
    step of a pool synthesizer's round."""
    syn = built.synthesizer
    name = type(syn).__name__
    model, z, y = built.model, built.z, built.y
    student = built.network('student') if built.needs_student(
        'generator') else None
    teacher = built.network('teacher')
    extra: Dict[str, Any] = {}
    if isinstance(syn, OnlineSynthesizer):

        def method():
            for _ in range(iters):
                syn.step(model, z, y, built.wrappers)

        generator = getattr(syn, 'generator', None)
        floor, desc = floors.pixel_step(
            built.image_batch(), teacher, student, iters
        ) if generator is None else floors.generator_step(
            _fresh_generator(built), teacher, student, z, iters)
        floor = built.autocast(floor, wrapper=True)
        return Case(name, config, method, floor, iters, floor_desc=desc)

    def round_of(steps: int) -> Callable[[], None]:
        def run():
            syn.iterations = steps
            syn.step(model, z, y, built.wrappers)
        return run

    if isinstance(syn, ContrastiveSynthesizer):
        bank = fill_memory_bank(built)
        extra.update(bank_size=bank.size, bank_dim=bank.dim,
                     num_negatives=syn.num_negatives)
        floor, desc = floors.contrastive_step(
            _fresh_generator(built), teacher, student, copy.deepcopy(
                syn.head), z, syn.num_negatives, iters)
    elif isinstance(syn, MetaSynthesizer):
        floor, desc = floors.generator_step(
            _fresh_generator(built), teacher, student, z, iters,
            train_latents=True)
    else:  # a batch of pixels optimised through the terms
        floor, desc = floors.pixel_step(
            built.image_batch(), teacher, student, iters)
    floor = built.autocast(floor, wrapper=False)
    return Case(name, config, round_of(1 + iters), floor, iters,
                method_lo=round_of(1), floor_desc=desc, extra=extra)


def _fresh_generator(built: Built) -> torch.nn.Module:
    gen = copy.deepcopy(built.synthesizer.generator)
    gen.requires_grad_(True)
    return gen


def student_case(built: Built, config: str, iters: int) -> Case:
    """A student step of the recipe (pool draw + views, or a fresh online
    batch), against a bare KD step on a ready batch."""
    model, z, y = built.model, built.z, built.y
    wrapper = built.wrappers['student']
    pool = not isinstance(built.synthesizer, OnlineSynthesizer)
    if pool:
        _fill_pool(built)

    def method():
        for _ in range(iters):
            model.student_step(z, y, wrapper)

    images = None if not pool else built.image_batch()
    gen = None if pool else built.synthesizer
    floor, desc = floors.kd_step(
        built.network('teacher'), built.network('student', frozen=False),
        built.cfg.optim_wrapper.student.optimizer, images, gen, z,
        _kd_tau(built), iters)
    floor = built.autocast(floor, wrapper=True)
    return Case('student', config, method, floor, iters, floor_desc=desc)


def _kd_tau(built: Built) -> float:
    for term in built.model.student_losses.values():
        if hasattr(term, 'tau'):
            return term.tau
    return 1.0


def bank_costs(sizes: List[int], dim: int, num_negatives: int,
               push: int, repeats: int, device: torch.device,
               clock: str = 'wall') -> List[Dict[str, float]]:
    """Per-step cost of the memory bank (one draw of ``num_negatives`` and
    one push of ``push`` rows) for each bank size, interleaved."""
    from .measure import interleaved_times, median
    banks = {}
    feats = torch.nn.functional.normalize(
        torch.randn(push, dim, device=device), dim=1)
    for size in sizes:
        bank = MemoryBank(size, dim, device=device)
        bank.push(torch.randn(size, dim, device=device))
        banks[size] = bank

    def step_of(bank):
        def step():
            bank.sample(num_negatives)
            bank.push(feats)
        return step

    times, _ = interleaved_times(
        {str(s): step_of(b) for s, b in banks.items()}, max(repeats, 5),
        warmup=2, device=device, clock=clock)
    return [dict(size=s, num_negatives=num_negatives, push=push,
                 ms_per_step=median(times[str(s)])) for s in sizes]
