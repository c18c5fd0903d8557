from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import get_world_size
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmdfkd.registry import MODELS
from mmdfkd.utils import pack_state, unpack_state
from .base import SynthesisEnv
from .best_iterate import BestIterate
from .memory_bank import MemoryBank
from .pool_synthesizer import LossFn, PoolSynthesizer
from .precision import float_losses, synthesis_autocast


def contrastive_loss(local: torch.Tensor, global_: torch.Tensor, tau: float,
                     num_current: Optional[int] = None) -> torch.Tensor:
    """CMI's instance discrimination: each local view must pick its own
    global view among all the global views.

    Rows ``[:num_current]`` are the current batch, the rest the memory
    bank's entries (projected with the current head); every row is an
    anchor. The cross-entropy is averaged over the current rows and over
    the bank rows separately and the two means are added (as the authors'
    code does: a mean over all rows would shrink the generator's gradient
    as the bank fills).

    Args:
        local (Tensor): M×D L2-normalised projections of the local views.
        global_ (Tensor): M×D projections of the global views (targets,
            treated as constants).
        tau (float): Temperature.
        num_current (int, optional): Rows of the current batch. Defaults
            to None (all rows).
    """
    logits = local @ global_.detach().t() / tau
    target = torch.arange(len(local), device=local.device)
    ce = F.cross_entropy(logits, target, reduction='none')
    if num_current is None or num_current >= len(local):
        return ce.mean()
    return ce[:num_current].mean() + ce[num_current:].mean()


@MODELS.register_module()
class ContrastiveSynthesizer(PoolSynthesizer):
    """CMI (Fang et al., IJCAI'21): every round re-initialises a generator
    and trains it, with its latents, on the generator-loss terms plus a
    contrastive term that makes the batch distinguishable from itself and
    from earlier batches (the memory bank), then keeps the lowest-loss batch.

    The contrastive features of an image are the spatial means of the
    inputs of ``feature_layers`` of the teacher (by default every BatchNorm
    layer), concatenated; a persistent 2-layer MLP head (own Adam optimiser,
    state in checkpoints) maps them to L2-normalised ``feature_dim``
    vectors. Local views (random resized crops) must match their own
    global view (random crops) against the global views of the batch and of
    ``num_negatives`` entries drawn from the memory bank.

    The bank keeps the *raw* features (before the head) of the local and
    global views of every kept batch, FIFO, ``bank_size`` entries; each step
    projects the drawn entries with the current head (stored projections
    would go stale as the head learns), and they also act as anchors:
    their local views must pick their own global views too. The synthesizer
    owns the bank: it is created when the distiller is built
    (:meth:`setup`: the teacher's feature width decides its rows), travels
    in the synthesizer's state (checkpoints, resume) and, under
    ``torch.distributed``, receives every rank's kept features.

    Args:
        generator (dict): Generator config (re-initialised every round).
        global_views (dict): ``DifferentiableViews`` of the loss terms.
        local_views (dict): ``DifferentiableViews`` of the contrastive term.
        iterations (int): Steps per round. Defaults to 200.
        lr (float): Adam learning rate of generator and latents.
            Defaults to 1e-3.
        betas (tuple[float, float]): Adam betas. Defaults to (0.5, 0.999).
        feature_dim (int): Projection size. Defaults to 256.
        hidden_dim (int, optional): Width of the head's hidden layer.
            Defaults to None: the features' width (the authors' head).
        head_lr (float): Learning rate of the head's Adam (default betas,
            as the authors'). Defaults to 1e-3.
        tau (float): Contrastive temperature. Defaults to 0.1.
        contrastive_weight (float): Weight of the contrastive term.
            Defaults to 0.8.
        bank_size (int): Entries of the memory bank. Defaults to 40960
            (CMI).
        num_negatives (int): Bank entries drawn per step. Defaults to 4096
            (CMI).
        feature_layers (Sequence[str], optional): Teacher submodules whose
            inputs give the features, e.g. the four stages of a ResNet
            (the authors' choice for ResNet-34). Defaults to None: every
            BatchNorm layer with running statistics.
        **kwargs: :class:`PoolSynthesizer` arguments (``pool``,
            ``student_views``, ``student_batch_size``, ``pixel_range``,
            ``autocast_dtype``, ``init_cfg``).
    """

    def __init__(self,
                 generator: dict,
                 global_views: dict,
                 local_views: dict,
                 iterations: int = 200,
                 lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.5, 0.999),
                 feature_dim: int = 256,
                 hidden_dim: Optional[int] = None,
                 head_lr: float = 1e-3,
                 tau: float = 0.1,
                 contrastive_weight: float = 0.8,
                 bank_size: int = 40960,
                 num_negatives: int = 4096,
                 feature_layers: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not bank_size or bank_size < 1:
            raise ValueError(
                'ContrastiveSynthesizer needs its memory bank: bank_size '
                f'must be a positive number of entries, got {bank_size!r} '
                '(CMI: bank_size=40960, num_negatives=4096)')
        if not 0 < num_negatives <= bank_size:
            raise ValueError(
                f'num_negatives must be in 1..bank_size={bank_size}, got '
                f'{num_negatives!r}: it is the number of bank entries drawn '
                'per step (CMI: 4096 of 40960)')
        self.generator = MODELS.build(generator)
        self.global_views = MODELS.build(global_views)
        self.local_views = MODELS.build(local_views)
        self.iterations = iterations
        self.lr = lr
        self.betas = tuple(betas)
        self.feature_dim = feature_dim
        self.hidden_dim = hidden_dim
        self.head_lr = head_lr
        self.tau = tau
        self.contrastive_weight = contrastive_weight
        self.bank_size = int(bank_size)
        self.num_negatives = int(num_negatives)
        self.feature_layers = (None if feature_layers is None else
                               list(feature_layers))
        self.head: Optional[nn.Module] = None
        self.memory_bank: Optional[MemoryBank] = None
        self._head_optimizer: Optional[torch.optim.Optimizer] = None
        self._feats: List[torch.Tensor] = []
        self._capture = False

    def _feature_modules(self, teacher: nn.Module) -> List[nn.Module]:
        if self.feature_layers is None:
            layers = [
                m for m in teacher.modules()
                if isinstance(m, _BatchNorm) and m.running_mean is not None
            ]
            if not layers:
                raise ValueError(
                    'ContrastiveSynthesizer needs a teacher with BatchNorm '
                    'layers (its features are their inputs), or '
                    '`feature_layers` naming teacher submodules')
            return layers
        names = dict(teacher.named_modules())
        missing = [n for n in self.feature_layers if n not in names]
        if missing:
            raise ValueError(
                f'feature_layers {missing} are not submodules of the '
                f'teacher; e.g. {list(names)[1:6]}')
        return [names[n] for n in self.feature_layers]

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def probe(self) -> torch.Tensor:
        return self.to_pixels(self.generator(torch.zeros(2,
                                                         self.latent_dim)))

    @torch.no_grad()
    def setup(self, env: SynthesisEnv) -> None:
        """Hook the teacher's feature layers, then build the head and the
        memory bank for the features' width (one forward of a generated
        pair of images finds it)."""
        teacher = env.teacher
        for layer in self._feature_modules(teacher):
            layer.register_forward_pre_hook(self._record)
        device = next(teacher.parameters()).device
        mode = self.generator.training
        self.generator.eval()
        try:
            images = self.to_pixels(
                self.generator(
                    torch.zeros(2, self.generator.latent_dim, device=device)))
            self._feats, self._capture = [], True
            env.teacher_forward(images)
            in_dim = sum(f.shape[1] for f in self._feats)
        finally:
            self._capture, self._feats = False, []
            self.generator.train(mode)
        hidden = self.hidden_dim or in_dim
        self.head = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, self.feature_dim)).to(device)
        self._head_optimizer = torch.optim.Adam(
            self.head.parameters(), lr=self.head_lr)
        # a row: the raw features of the local view, then the global one
        self.memory_bank = MemoryBank(self.bank_size, 2 * in_dim, device)

    def _record(self, module: nn.Module, args) -> None:
        if self._capture:
            x = args[0]
            if x.dim() == 2:  # e.g. BatchNorm1d: already one vector each
                self._feats.append(x)
                return
            # A sum, then a division of the small N×C result: the sum's
            # backward is a broadcast view (a mean's would materialise a
            # full-size gradient), and no flatten copy of a channels-last
            # input.
            dims = tuple(range(2, x.dim()))
            self._feats.append(x.sum(dim=dims) / x[0, 0].numel())

    def _project(self, feats: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.head(feats), dim=1)

    def _reset_generator(self) -> None:
        for module in self.generator.modules():
            if module is not self.generator and hasattr(
                    module, 'reset_parameters'):
                module.reset_parameters()

    def _check_bank(self, batch: int, device: torch.device) -> None:
        pushed = batch * get_world_size()
        if pushed > self.bank_size:
            raise ValueError(
                f'the memory bank (bank_size={self.bank_size}) is smaller '
                f'than one push of {pushed} features (the global batch), so '
                'it would only ever hold the current batch. Set '
                f'bank_size >= {pushed} (CMI: 40960) or lower the batch.')
        if self.memory_bank.device != device:
            self.memory_bank.to(device)

    def synthesize(self, env: SynthesisEnv, loss_fn: LossFn,
                   latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Train a fresh generator and latents for one round; return the
        lowest-loss batch (pixel space, detached) and its loss terms."""
        if self.memory_bank is None:
            raise RuntimeError('ContrastiveSynthesizer.setup(env) was not '
                               'called (the distiller does it when built)')
        n = len(latents)
        self._check_bank(n, latents.device)
        self.head.to(latents.device)
        self._reset_generator()
        z = latents.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam(
            list(self.generator.parameters()) + [z],
            lr=self.lr,
            betas=self.betas)
        best = BestIterate(latents.device)
        for _ in range(self.iterations):
            drawn = self.memory_bank.sample(self.num_negatives)
            with synthesis_autocast(z.device, self.autocast_dtype):
                images = self.to_pixels(self.generator(z))
                self._feats, self._capture = [], True
                try:
                    losses = loss_fn(self.global_views(images))
                    global_feats = torch.cat(self._feats, dim=1).float()
                    self._feats = []
                    env.teacher_forward(self.local_views(images))
                    local_feats = torch.cat(self._feats, dim=1).float()
                finally:
                    self._capture, self._feats = False, []
                dim = local_feats.shape[1]
                proj = self._project(
                    torch.cat([local_feats, drawn[:, :dim],
                               global_feats, drawn[:, dim:]]))
            images = images.float()
            local_proj, global_proj = proj.float().chunk(2)
            losses = float_losses(losses)
            losses['contrastive'] = self.contrastive_weight * \
                contrastive_loss(local_proj, global_proj, self.tau, n)
            total = sum(losses.values())
            best.update(total, losses, images=images,
                        feats=torch.cat([local_feats, global_feats], dim=1))
            optimizer.zero_grad(set_to_none=True)
            self._head_optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            self._head_optimizer.step()
        best.check()
        self.memory_bank.push(best.values['feats'])
        return best.values['images'], best.losses

    # The head's optimiser and the bank are created here, not by the
    # runner: their state travels with the synthesizer's state dict.
    def get_extra_state(self) -> torch.Tensor:
        state = {}
        if self._head_optimizer is not None:
            state['head_optimizer'] = self._head_optimizer.state_dict()
            state['memory_bank'] = self.memory_bank.state_dict()
        return pack_state(state)

    def set_extra_state(self, packed: torch.Tensor) -> None:
        state = unpack_state(packed)
        if state and self._head_optimizer is not None:
            self._head_optimizer.load_state_dict(state['head_optimizer'])
            self.memory_bank.load_state_dict(state['memory_bank'])
