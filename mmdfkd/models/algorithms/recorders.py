"""Forward hooks that record what loss terms read inside a network."""
from typing import Dict, Iterable, List

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmdfkd.models.losses import BNMoments


def batchnorm_layers(model: nn.Module) -> List[_BatchNorm]:
    """BatchNorm layers that hold running statistics (a BN-statistics term
    has nothing to match in a layer with ``track_running_stats=False``)."""
    return [
        m for m in model.modules()
        if isinstance(m, _BatchNorm) and m.running_mean is not None
    ]


class ShiftedMoments(torch.autograd.Function):
    """Per-channel sums of ``d = x - shift`` and of ``d²`` over every
    dimension but 1.

    Autograd of the plain expression keeps ``d`` alive for the backward
    and builds the input gradient from three full-size temporaries (the
    square's derivative, its product with the gradient, their sum); here
    the backward is one fused pass, ``a + 2b·(x - shift)`` per channel,
    and only ``x`` (saved by the layer anyway) is kept.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, shift: torch.Tensor):
        dims = [0] + list(range(2, x.dim()))
        d = x - shift.view([1, -1] + [1] * (x.dim() - 2))
        ctx.save_for_backward(x, shift)
        return d.sum(dim=dims), d.square().sum(dim=dims)

    @staticmethod
    def backward(ctx, grad_sum: torch.Tensor, grad_sq_sum: torch.Tensor):
        x, shift = ctx.saved_tensors
        shape = [1, -1] + [1] * (x.dim() - 2)
        scale = 2 * grad_sq_sum
        bias = grad_sum - scale * shift
        return torch.addcmul(bias.view(shape), x, scale.view(shape)), None


class BNMomentsRecorder:
    """Records the moments of every BatchNorm input of a network.

    Hooks stay registered but record only between :meth:`start` and
    :meth:`stop`, so steps and validations that need no BN term cost
    nothing. :meth:`start` re-attaches them if the layers were replaced
    (e.g. by a SyncBN conversion of the whole model).

    Args:
        model (nn.Module): The (teacher) network.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.layers: List[_BatchNorm] = []
        self._handles: list = []
        self.moments: List[BNMoments] = []
        self.active = False
        self._attach()

    def _attach(self) -> None:
        layers = batchnorm_layers(self.model)
        if [id(m) for m in layers] == [id(m) for m in self.layers]:
            return
        for handle in self._handles:
            handle.remove()
        self.layers = layers
        self._handles = [m.register_forward_pre_hook(self._hook)
                         for m in layers]

    def _hook(self, module: _BatchNorm, args) -> None:
        if not self.active:
            return
        x = args[0].float()
        shifted_sum, shifted_sq_sum = ShiftedMoments.apply(
            x, module.running_mean)
        self.moments.append(
            BNMoments(
                shifted_sum=shifted_sum,
                shifted_sq_sum=shifted_sq_sum,
                count=x.numel() // x.shape[1],
                running_var=module.running_var))

    def start(self) -> None:
        self._attach()
        self.moments = []
        self.active = True

    def stop(self) -> List[BNMoments]:
        self.active = False
        moments, self.moments = self.moments, []
        return moments


class FeatureRecorder:
    """Records named activations: ``'a.b'`` is the output of submodule
    ``a.b``, ``'a.b:in'`` its first input. A tuple/list (e.g. the multi-stage
    features a classification head receives) is reduced to its last item.

    Args:
        model (nn.Module): The network.
        names (Iterable[str]): Records to keep.
    """

    def __init__(self, model: nn.Module, names: Iterable[str]) -> None:
        self.model = model
        self.names = sorted(set(names))
        self.feats: Dict[str, torch.Tensor] = {}
        self.active = False
        self._modules: list = []
        self._handles: list = []
        self._attach()

    def _attach(self) -> None:
        """Hook the named modules; again if any was replaced since."""
        if not self.names:
            return
        modules = dict(self.model.named_modules())
        found = []
        for name in self.names:
            path, _, where = name.partition(':')
            if path not in modules or where not in ('', 'in'):
                raise KeyError(
                    f'cannot record {name!r}: no submodule {path!r} in '
                    f'{type(self.model).__name__} (records are '
                    '"module.path" or "module.path:in")')
            found.append(modules[path])
        if [id(m) for m in found] == [id(m) for m in self._modules]:
            return
        for handle in self._handles:
            handle.remove()
        self._modules, self._handles = found, []
        for name, module in zip(self.names, found):
            if name.endswith(':in'):
                handle = module.register_forward_pre_hook(
                    self._make_hook(name, lambda m, args: args[0]))
            else:
                handle = module.register_forward_hook(
                    self._make_hook(name, lambda m, args, out: out))
            self._handles.append(handle)

    def _make_hook(self, name: str, pick):

        def hook(*hook_args):
            if self.active:
                value = pick(*hook_args)
                if isinstance(value, (tuple, list)):
                    value = value[-1]
                self.feats[name] = value

        return hook

    def start(self) -> None:
        self._attach()
        self.feats = {}
        self.active = bool(self.names)

    def stop(self) -> Dict[str, torch.Tensor]:
        self.active = False
        feats, self.feats = self.feats, {}
        return feats
