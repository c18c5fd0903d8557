"""The synthesizer interface: what makes the images of a data-free round.

A round of :class:`~mmdfkd.models.algorithms.DataFreeDistiller` runs the
phases of its schedule; every phase but ``'student'`` is the synthesizer's
half of the round (:meth:`BaseSynthesizer.step`), and every student step
trains on :meth:`BaseSynthesizer.student_batch`. Two families implement it:

* :class:`~mmdfkd.models.synthesizers.OnlineSynthesizer` (phase
  ``'generator'``): a generator sampled afresh for every student step and
  updated by the runner's ``'generator'`` optimiser (DAFL, DFAD, ZSKT, DFQ,
  DDAD, RDSKD);
* :class:`~mmdfkd.models.synthesizers.PoolSynthesizer` (phase
  ``'synthesis'``): an inner loop that synthesizes a batch, labels it with
  the teacher and keeps it in its pool; student batches are drawn from the
  pool (DeepInversion, CMI, Fast DFKD).

A synthesizer reaches the distiller only through :class:`SynthesisEnv`,
and keeps its own state (pool, memory bank, meta-optimiser) in its own
``state_dict``.
"""
from typing import (TYPE_CHECKING, Dict, Mapping, Optional, Protocol,
                    Tuple)

import torch
from mmengine.model import BaseModule
from torch import nn

if TYPE_CHECKING:  # only for the annotations
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from mmdfkd.models.losses import DistillContext, LossTerm

Batch = Tuple[torch.Tensor, Optional[torch.Tensor]]


class SynthesisEnv(Protocol):
    """What a synthesizer uses of the distiller that runs it.

    Attributes:
        teacher (nn.Module): The frozen teacher (eval mode).
        student (nn.Module): The student (possibly wrapped in DDP).
        generator_terms (Mapping[str, LossTerm]): The generator-loss terms
            of the current stage (a warm-up stage leaves out those that
            read the student).
        round_index (int): 0-based index of the current round.
    """
    teacher: nn.Module
    student: nn.Module
    generator_terms: Mapping[str, 'LossTerm']
    round_index: int

    def context(self,
                images: torch.Tensor,
                labels: Optional[torch.Tensor],
                terms: Mapping[str, 'LossTerm'],
                teacher_grad: bool,
                latents: Optional[torch.Tensor] = None) -> 'DistillContext':
        """The forwards ``terms`` need on pixel-space ``images`` (the
        unwrapped student's, if a term reads it), as a context."""

    def update(self, phase: str, wrapper: 'OptimWrapper',
               losses: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Step ``wrapper`` on the summed ``losses`` (a non-finite step is
        skipped); the log of the update."""

    def teacher_forward(self, images: torch.Tensor) -> torch.Tensor:
        """The teacher's output on pixel-space ``images``, in the caller's
        grad mode."""

    def normalize(self, images: torch.Tensor, role: str) -> torch.Tensor:
        """``images`` as the ``'teacher'`` or ``'student'`` takes them."""


class BaseSynthesizer(BaseModule):
    """Makes the images of a data-free round and owns its half of it.

    Subclasses set :attr:`phase` and implement :meth:`step` and
    :meth:`student_batch`; the rest has defaults. Images are in pixel space
    (``pixel_range``, the space of real images before a network's data
    preprocessor normalises them).

    Args:
        pixel_range (tuple[float, float]): Pixel values that −1 and 1 map
            to (:meth:`to_pixels`). Defaults to (0, 255).
        init_cfg (dict, optional): Defaults to None.
    """
    #: The schedule phase that runs :meth:`step`.
    phase: str = ''
    #: Whether student batches are made from the step's latents (online
    #: generators) or not (a pool); a round draws latents accordingly.
    student_takes_latents: bool = False

    def __init__(self,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.pixel_range = tuple(float(v) for v in pixel_range)

    @property
    def latent_dim(self) -> Optional[int]:
        """Size of the latent vectors it takes; None when latents only say
        the batch size."""
        return None

    def optim_targets(self) -> Dict[str, nn.Module]:
        """Networks trained by a runner-managed optimiser, by key (the key
        of ``optim_wrapper``)."""
        return {}

    def ddp_targets(self) -> list:
        """Submodule paths a distributed wrapper wraps in DDP."""
        return []

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        """Map [-1, 1] (a generator's tanh, a pixel variable) linearly to
        ``pixel_range``."""
        low, high = self.pixel_range
        return low + (x + 1) * (0.5 * (high - low))

    def setup(self, env: SynthesisEnv) -> None:
        """Called once when the distiller is built: bind what it reads of
        the networks (e.g. teacher features). Nothing by default."""

    def probe(self) -> Optional[torch.Tensor]:
        """Two images of the kind it makes (from zero latents, or mid-grey
        pixels), for the distiller's build-time checks; None when it cannot
        say."""
        return None

    def step(self, env: SynthesisEnv, latents: torch.Tensor,
             labels: Optional[torch.Tensor],
             optim_wrapper: 'OptimWrapperDict') -> Dict[str, torch.Tensor]:
        """One :attr:`phase` step of a round; returns its log."""
        raise NotImplementedError

    def student_batch(self, latents: torch.Tensor,
                      labels: Optional[torch.Tensor]) -> Batch:
        """The images a student step trains on, and their labels (None
        when ``labels`` do not belong to them)."""
        raise NotImplementedError

    def batch_indicators(self,
                         ctx: 'DistillContext') -> Dict[str, torch.Tensor]:
        """What to log with a student step on ``ctx`` (its batch):
        collapse indicators, a replay pool's size; nothing by default."""
        return {}

    def preview(self, max_images: int = 1024,
                seed: int = 0) -> Optional[torch.Tensor]:
        """Up to ``max_images`` images that show what it makes now, for
        the picture hooks (``seed`` makes a draw reproducible without
        touching the global random state); None before it made any."""
        return None
