from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmdfkd.registry import MODELS
from mmdfkd.utils import pack_state, unpack_state
from .pixel_synthesizer import LossFn
from .precision import (check_autocast_dtype, float_losses,
                        synthesis_autocast)


def contrastive_loss(local: torch.Tensor, global_: torch.Tensor,
                     negatives: Optional[torch.Tensor],
                     tau: float) -> torch.Tensor:
    """CMI's instance discrimination: image i's local view must pick its own
    global view among the batch's global views and the bank's negatives.

    Args:
        local (Tensor): N×D L2-normalised projections of the local views.
        global_ (Tensor): N×D projections of the global views (targets,
            treated as constants).
        negatives (Tensor, optional): K×D projections from the memory bank.
        tau (float): Temperature.
    """
    keys = global_.detach()
    if negatives is not None and len(negatives):
        keys = torch.cat([keys, negatives])
    logits = local @ keys.t() / tau
    target = torch.arange(len(local), device=local.device)
    return F.cross_entropy(logits, target)


@MODELS.register_module()
class ContrastiveSynthesizer(BaseModule):
    """CMI (Fang et al., IJCAI'21): every round re-initialises a generator
    and trains it, with its latents, on the generator-loss terms plus a
    contrastive term that makes the batch distinguishable from itself and
    from earlier batches (the memory bank), then keeps the lowest-loss batch.

    The contrastive features of an image are the spatial means of the inputs
    of every teacher BatchNorm layer, concatenated, mapped by a persistent
    2-layer MLP head (own Adam optimiser, state in checkpoints) to
    L2-normalised ``feature_dim`` vectors. Local views (random resized crops)
    must match their own global view (random crops) against the batch and
    ``num_negatives`` entries of the bank, which ``ContrastiveMemoryBankHook``
    attaches; without a bank only the batch serves as negatives.

    Args:
        generator (dict): Generator config (re-initialised every round).
        global_views (dict): ``DifferentiableViews`` of the loss terms.
        local_views (dict): ``DifferentiableViews`` of the contrastive term.
        iterations (int): Steps per round. Defaults to 200.
        lr (float): Adam learning rate of generator and latents.
            Defaults to 1e-3.
        betas (tuple[float, float]): Adam betas. Defaults to (0.5, 0.999).
        feature_dim (int): Projection size. Defaults to 256.
        hidden_dim (int): Width of the head's hidden layer. Defaults to 256.
        head_lr (float): Learning rate of the head. Defaults to 1e-3.
        tau (float): Contrastive temperature. Defaults to 0.1.
        contrastive_weight (float): Weight of the contrastive term.
            Defaults to 0.8.
        pixel_range (tuple[float, float]): Pixel values that the generator's
            −1 and 1 map to. Defaults to (0, 255).
        autocast_dtype (str, optional): ``'bfloat16'`` runs the inner
            loop's forward passes under autocast (losses and updates stay
            float32). Defaults to None (full precision).
        init_cfg (dict, optional): Defaults to None.
    """
    online = False

    def __init__(self,
                 generator: dict,
                 global_views: dict,
                 local_views: dict,
                 iterations: int = 200,
                 lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.5, 0.999),
                 feature_dim: int = 256,
                 hidden_dim: int = 256,
                 head_lr: float = 1e-3,
                 tau: float = 0.1,
                 contrastive_weight: float = 0.8,
                 pixel_range: Tuple[float, float] = (0., 255.),
                 autocast_dtype: Optional[str] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
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
        self.pixel_range = tuple(float(v) for v in pixel_range)
        self.autocast_dtype = check_autocast_dtype(autocast_dtype)
        self.head: Optional[nn.Module] = None
        self._head_optimizer: Optional[torch.optim.Optimizer] = None
        self._teacher_forward: Optional[Callable] = None
        self._feats: List[torch.Tensor] = []
        self._capture = False
        # set by ContrastiveMemoryBankHook
        self.memory_bank = None
        self.num_negatives = 0

    def optim_targets(self) -> dict:
        return {}

    def ddp_targets(self) -> list:
        return []

    def bind(self, teacher: nn.Module,
             teacher_forward: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Hook the teacher's BatchNorm inputs and build the head."""
        layers = [
            m for m in teacher.modules()
            if isinstance(m, _BatchNorm) and m.running_mean is not None
        ]
        if not layers:
            raise ValueError(
                'ContrastiveSynthesizer needs a teacher with BatchNorm '
                'layers (its features are their inputs)')
        for layer in layers:
            layer.register_forward_pre_hook(self._record)
        self._teacher_forward = teacher_forward
        in_dim = sum(layer.num_features for layer in layers)
        self.head = nn.Sequential(
            nn.Linear(in_dim, self.hidden_dim), nn.ReLU(inplace=True),
            nn.Linear(self.hidden_dim, self.feature_dim))
        self._head_optimizer = torch.optim.Adam(
            self.head.parameters(), lr=self.head_lr, betas=self.betas)

    def _record(self, module: nn.Module, args) -> None:
        if self._capture:
            x = args[0]
            # A sum, then a division of the small N×C result: the sum's
            # backward is a broadcast view (a mean's would materialise a
            # full-size gradient), and no flatten copy of a channels-last
            # input.
            dims = tuple(range(2, x.dim()))
            self._feats.append(x.sum(dim=dims) / x[0, 0].numel())

    def _project(self, feats: List[torch.Tensor]) -> torch.Tensor:
        return F.normalize(self.head(torch.cat(feats, dim=1)), dim=1)

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        low, high = self.pixel_range
        return low + (x + 1) * (0.5 * (high - low))

    def _reset_generator(self) -> None:
        for module in self.generator.modules():
            if module is not self.generator and hasattr(
                    module, 'reset_parameters'):
                module.reset_parameters()

    def synthesize(self, loss_fn: LossFn, latents: torch.Tensor
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Train a fresh generator and latents for one round; return the
        lowest-loss batch (pixel space, detached) and its loss terms."""
        if self._teacher_forward is None:
            raise RuntimeError('ContrastiveSynthesizer.bind(teacher) was not '
                               'called (the distiller does it)')
        self.head.to(latents.device)
        self._reset_generator()
        z = latents.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam(
            list(self.generator.parameters()) + [z],
            lr=self.lr,
            betas=self.betas)
        best_total = torch.full((), float('inf'), device=latents.device)
        best_x = best_feats = None
        best_losses: Dict[str, torch.Tensor] = {}
        for _ in range(self.iterations):
            with synthesis_autocast(z.device, self.autocast_dtype):
                images = self.to_pixels(self.generator(z))
                self._feats, self._capture = [], True
                try:
                    losses = loss_fn(self.global_views(images))
                    global_feats = self._feats
                    self._feats = []
                    self._teacher_forward(self.local_views(images))
                    local_feats = self._feats
                finally:
                    self._capture, self._feats = False, []
                global_proj = self._project(global_feats)
                local_proj = self._project(local_feats)
            images, global_proj = images.float(), global_proj.float()
            negatives = None
            if self.memory_bank is not None and len(self.memory_bank):
                negatives = self.memory_bank.sample(self.num_negatives)
            losses = float_losses(losses)
            losses['contrastive'] = self.contrastive_weight * \
                contrastive_loss(local_proj.float(), global_proj, negatives,
                                 self.tau)
            total = sum(losses.values())
            better = total.detach() < best_total  # NaN never qualifies
            best_total = torch.where(better, total.detach(), best_total)
            if best_x is None:
                best_x, best_feats = images.detach(), global_proj.detach()
            best_x = torch.where(better, images.detach(), best_x)
            best_feats = torch.where(better, global_proj.detach(), best_feats)
            best_losses = {
                k: torch.where(better, v.detach(), best_losses.get(k,
                                                                   v.detach()))
                for k, v in losses.items()
            }
            optimizer.zero_grad(set_to_none=True)
            self._head_optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            self._head_optimizer.step()
        if not torch.isfinite(best_total):
            raise FloatingPointError(
                'every synthesis step gave a non-finite loss; lower the '
                'learning rate or the loss weights')
        if self.memory_bank is not None:
            self.memory_bank.push(best_feats)
        return best_x, best_losses

    # The head's optimiser is created here, not by the runner: its state
    # travels with the synthesizer's state dict.
    def get_extra_state(self) -> torch.Tensor:
        state = {}
        if self._head_optimizer is not None:
            state['head_optimizer'] = self._head_optimizer.state_dict()
        return pack_state(state)

    def set_extra_state(self, packed: torch.Tensor) -> None:
        state = unpack_state(packed)
        if state and self._head_optimizer is not None:
            self._head_optimizer.load_state_dict(state['head_optimizer'])
