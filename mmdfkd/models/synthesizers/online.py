"""The online family: a fresh generated batch for every step."""
from typing import Dict, Optional, Tuple

import torch

from mmdfkd.models.losses import DistillContext
from mmdfkd.utils import frozen, unwrap_model
from .base import Batch, BaseSynthesizer, SynthesisEnv
from .indicators import batch_diversity
from .pool import SyntheticPool


class OnlineSynthesizer(BaseSynthesizer):
    """Online synthesis: ``forward(latents)`` makes a batch, afresh for
    every step (DAFL, DFAD, ZSKT, DFQ, DDAD, RDSKD).

    Its half of a round, the ``'generator'`` phase, is one update of what
    :meth:`optim_targets` names under ``'generator'``: the batch of the
    step's latents through the generator-loss terms, with the student
    frozen (it runs as it is, train mode included, as in DFAD) and the
    teacher's gradient reaching the images; the latents are in the context
    (``ctx.latents``) for terms that read them. A student step trains on a
    fresh batch made without gradient, whose collapse indicators are
    logged.

    With ``replay`` (not in any of the papers: their students learn on
    fresh batches only), every student step also trains on a draw of
    earlier student batches: the fresh batch, as generated (before
    :meth:`view`), goes into a bounded first-in first-out
    :class:`SyntheticPool` after the draw, and the step's batch is the
    fresh images followed by the replayed ones, viewed together. The
    teacher scores the replayed images anew in the step (it is frozen: the
    same targets as when they were made); they are detached copies, so no
    gradient reaches the generator through them. The draws and their views
    take their random numbers from a stream of their own (seeded with 0,
    saved in the ``state_dict`` as ``replay_rng``): the global stream, and
    with it the generator's trajectory when the generator does not see the
    student (DAFL), is the same with and without replay. The first student step
    finds the pool empty and trains on the fresh batch alone. The pool
    travels in the synthesizer's ``state_dict`` (a resumed run replays
    what it had); under N processes each rank keeps and draws from its own
    pool, as a pool synthesizer's in-memory pool (a checkpoint holds rank
    0's, which every rank resumes with). Its size is logged with every
    student step (``synthesis.replay_pool_size``).

    Subclasses implement :meth:`generate` (pixel-space images from N×D
    latents), :attr:`latent_dim` and :meth:`optim_targets`, and may
    override :meth:`view`.

    Args:
        pixel_range (tuple[float, float]): Defaults to (0, 255).
        replay (dict, optional): ``dict(max_size=..., batch_size=...)``:
            keep the newest ``max_size`` generated images (required: the
            pool is bounded) and draw ``batch_size`` of them (default: the
            fresh batch's size) for every student step; other keys are
            :class:`SyntheticPool` arguments (``store_dtype``,
            ``device``). Defaults to None (fresh batches only).
        init_cfg (dict, optional): Defaults to None.
    """
    phase = 'generator'
    student_takes_latents = True

    def __init__(self,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 replay: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(pixel_range, init_cfg)
        self._last: Optional[torch.Tensor] = None
        self._fresh = 0  # fresh images at the head of the student batch
        self.replay_batch_size: Optional[int] = None
        self.replay_pool: Optional[SyntheticPool] = None
        if replay is not None:
            self._build_replay(dict(replay))

    def _build_replay(self, cfg: dict) -> None:
        if cfg.get('max_size') is None or 'type' in cfg:
            raise ValueError(
                'replay keeps a bounded in-memory pool: give '
                'replay=dict(max_size=<images>, batch_size=<images per '
                f'student step>), got {cfg}')
        batch_size = cfg.pop('batch_size', None)
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise ValueError('replay batch_size must be a positive int or '
                             f'None (the fresh batch size), got '
                             f'{batch_size!r}')
        self.replay_batch_size = batch_size
        self.replay_pool = SyntheticPool(**cfg)
        # the replay's random stream (draws, views), saved with the model
        self.register_buffer(
            'replay_rng', torch.Generator().manual_seed(0).get_state())

    def generate(self, latents: torch.Tensor) -> torch.Tensor:
        """A batch in pixel space from (N, latent_dim) latents, as
        generated (before :meth:`view`)."""
        raise NotImplementedError

    def view(self, images: torch.Tensor) -> torch.Tensor:
        """What a step sees of generated ``images``; themselves by
        default."""
        return images

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """The batch of a step from (N, latent_dim) latents."""
        return self.view(self.generate(latents))

    def probe(self) -> torch.Tensor:
        return self(torch.zeros(2, self.latent_dim))

    def step(self, env: SynthesisEnv, latents: torch.Tensor,
             labels: Optional[torch.Tensor],
             optim_wrapper) -> Dict[str, torch.Tensor]:
        terms = env.generator_terms
        wrapper = optim_wrapper['generator']
        with wrapper.optim_context(self), frozen(unwrap_model(env.student)):
            images = self(latents)
            # the unwrapped student: its DDP reducer expects no gradient
            ctx = env.context(images, labels, terms, teacher_grad=True,
                              latents=latents)
            losses = {name: term(ctx) for name, term in terms.items()}
        log = env.update('generator', wrapper, losses)
        # what the teacher sees in the batch, for the collapse monitor
        log.update(batch_diversity(ctx.teacher_logits, ctx.rows_per_sample))
        return log

    def student_batch(self, latents: torch.Tensor,
                      labels: Optional[torch.Tensor]) -> Batch:
        """A fresh batch (made without gradient), followed by a draw of
        the replay pool when there is one."""
        with torch.no_grad():
            if self.replay_pool is None:
                images = self(latents)
            else:
                fresh = self.generate(latents)
                images = self.view(fresh)
                if len(self.replay_pool):
                    old, old_labels = self._replay_draw(
                        self.replay_batch_size or len(fresh), fresh.device)
                    images = torch.cat([images, old])
                    if labels is not None:
                        labels = torch.cat(
                            [labels, old_labels.to(labels.device)])
                self.replay_pool.add(
                    fresh, None if labels is None else labels[:len(fresh)])
        self._fresh = len(latents)
        self._last = images[:self._fresh]
        return images, labels

    def _replay_draw(
        self, n: int, device: torch.device
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``n`` viewed images (and labels) of the pool, drawn from the
        replay's own random stream: the global one, which the views of
        the fresh and the generator's batches draw from, goes on as
        without replay."""
        rng = torch.Generator()
        rng.set_state(self.replay_rng.cpu())
        images, labels = self.replay_pool.sample(n, rng, device)
        seed = int(torch.randint(2**62, (1, ), generator=rng))
        self.replay_rng.copy_(rng.get_state())
        cuda = [device] if device.type == 'cuda' else []
        with torch.random.fork_rng(devices=cuda):
            torch.default_generator.manual_seed(seed)
            if cuda:
                torch.cuda.manual_seed(seed)
            return self.view(images), labels

    def batch_indicators(self,
                         ctx: DistillContext) -> Dict[str, torch.Tensor]:
        # the fresh batch: watch it as well (the replayed rows follow it)
        rows = self._fresh * ctx.rows_per_sample
        log = batch_diversity(ctx.teacher_logits[:rows], ctx.rows_per_sample)
        if self.replay_pool is not None:
            log['synthesis.replay_pool_size'] = torch.tensor(
                float(len(self.replay_pool)))
        return log

    def preview(self, max_images: int = 1024,
                seed: int = 0) -> Optional[torch.Tensor]:
        return None if self._last is None else self._last[:max_images]
