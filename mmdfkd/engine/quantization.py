"""Static post-training quantization with calibration data ("The Knowledge
Within", Haroush et al., CVPR'20): calibrate the activation ranges of a
quantized copy of a model on real, synthetic or noise images, compare its
accuracy with the float model's, and save it.

The path is PyTorch 2 export quantization (PT2E) from ``torchao``, the
maintained successor of ``torch.ao.quantization`` (whose FX graph mode
warns in torch 2.13 that it is deprecated, and whose TorchScript export
warns the same: ``torch.jit.trace/script/save`` are deprecated for
``torch.export``). ``torch.export`` captures the model with a dynamic batch
size, :func:`make_quantizer` annotates it (``X86InductorQuantizer``: convs
and linears with their following ReLU; BatchNorm folded), ``prepare_pt2e``
inserts observers, the calibration batches run through it and
``convert_pt2e`` replaces them by quantize / dequantize operations with
the observed scales; the weights are stored as int8 tensors. The result is
saved with ``torch.export.save`` (a ``.pt2`` archive of the graph and its
tensors, no pickled code) and loads back with :func:`load_quantized`.

Precision is a parameter: weights of 2..8 bits (symmetric, int8 storage)
and activations of 2..8 bits (affine, uint8 storage), through the quant
ranges of the specs; 8/8 is what the x86 int8 kernels take once lowered by
``torch.compile``. Run as saved, the graph computes the quantized model's
arithmetic in float (each activation and weight rounded to its integer
grid and scaled back), which is what accuracy measures; lower precisions
(e.g. 4-bit weights / 8-bit activations) run that way too.

Models are quantized in **pixel space**: :class:`PixelSpaceModel` wraps an
mmpretrain classifier as ``x -> model(normalise(x), mode='tensor')`` where
``normalise`` is its data preprocessor's channel flip and ``(x - mean) /
std``. The normalisation stays a float op at the graph's input; the first
quantize node comes right after it, so the input's range is calibrated on
normalised images like every other activation.

This module is imported by path (``mmdfkd.engine.quantization``); nothing
else imports it, so ``torchao`` is only loaded when used.
"""
import logging
import math
import os
from contextlib import contextmanager
from typing import Dict, Iterable, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdfkd.models.algorithms.normalization import InputNormalization

__all__ = [
    'PixelSpaceModel', 'QUANTIZATION_PATH', 'activation_scales', 'batches',
    'evaluate', 'gaussian_noise_images', 'integer_weights', 'is_quantized',
    'load_quantized', 'make_quantizer', 'quantize_static', 'save_quantized'
]

#: Quantization path used, for reports.
QUANTIZATION_PATH = ('torchao PT2E (torch.export, X86InductorQuantizer, '
                     'prepare_pt2e / convert_pt2e), static')

# Loggers that report on torchao's import what a CPU build cannot use
# (its CUDA kernels' libraries) and a torch deprecation inside torchao.
_IMPORT_NOISE = ('torchao', 'torch.utils._pytree')


@contextmanager
def _quiet_import():
    loggers = [logging.getLogger(name) for name in _IMPORT_NOISE]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _torchao():
    """The torchao modules used here, with a clear error without it."""
    try:
        with _quiet_import():
            from torchao.quantization.pt2e import observer
            from torchao.quantization.pt2e.quantize_pt2e import (convert_pt2e,
                                                                 prepare_pt2e)
            from torchao.quantization.pt2e.quantizer import \
                x86_inductor_quantizer as x86
    except ImportError as err:
        raise ImportError(
            'quantization needs torchao: pip install -c '
            'requirements/constraints.txt torchao (or pip install -e '
            '".[quant]")') from err
    return observer, prepare_pt2e, convert_pt2e, x86


class PixelSpaceModel(nn.Module):
    """An mmpretrain classifier that takes pixel-space images.

    ``forward(x)`` returns ``model(normalise(x), mode='tensor')`` (the
    logits), where ``normalise`` is the network's
    :class:`~mmdfkd.models.algorithms.InputNormalization` (from its
    config's ``data_preprocessor``: the channel flip of ``to_rgb`` /
    ``bgr_to_rgb``, then ``(x - mean) / std``): what its data preprocessor
    does to a batch of same-sized images, the one normalisation the
    distillers use too. Batch augmentations of training (mixup ...) are not
    applied.

    Args:
        model (nn.Module): A classifier with ``forward(inputs,
            mode='tensor')``. Used as is (not copied); put it in eval mode
            first.
        network_cfg (dict): Its config (the ``model`` of the config it was
            built from).
    """

    def __init__(self, model: nn.Module, network_cfg: dict) -> None:
        super().__init__()
        self.model = model
        self.normalization = InputNormalization.from_config(network_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(self.normalization(x), mode='tensor')


def _check_bits(name: str, bits: int) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not (
            2 <= bits <= 8):
        raise ValueError(f'{name} must be an int in 2..8, got {bits!r}')
    return bits


def make_quantizer(weight_bits: int = 8,
                   activation_bits: int = 8,
                   weight: str = 'per-channel',
                   activation: str = 'histogram'):
    """An ``X86InductorQuantizer`` with static specs of the given precision.

    Args:
        weight_bits (int): Weight precision, 2..8: symmetric integers in
            ``[-2^(b-1), 2^(b-1) - 1]`` stored as int8. Defaults to 8.
        activation_bits (int): Activation precision, 2..8: affine integers
            in ``[0, 2^b - 1]`` stored as uint8. Defaults to 8.
        weight (str): ``'per-channel'`` (one scale per output channel) or
            ``'per-tensor'``. Defaults to 'per-channel'.
        activation (str): Activation observer: ``'histogram'`` (a range
            minimising the quantization error of the observed histogram)
            or ``'minmax'`` (the observed extremes). Defaults to
            'histogram'.

    Returns:
        X86InductorQuantizer: For ``prepare_pt2e``.
    """
    _check_bits('weight_bits', weight_bits)
    _check_bits('activation_bits', activation_bits)
    if weight not in ('per-channel', 'per-tensor'):
        raise ValueError(f"weight must be 'per-channel' or 'per-tensor', "
                         f'got {weight!r}')
    if activation not in ('histogram', 'minmax'):
        raise ValueError(f"activation must be 'histogram' or 'minmax', "
                         f'got {activation!r}')
    observer, _, _, x86 = _torchao()
    from torchao.quantization.pt2e.quantizer import (QuantizationConfig,
                                                     QuantizationSpec)
    eps = dict(eps=2**-12)  # as torchao's default x86 config
    act_observer = (observer.HistogramObserver if activation == 'histogram'
                    else observer.MinMaxObserver)
    act = QuantizationSpec(
        dtype=torch.uint8, quant_min=0, quant_max=2**activation_bits - 1,
        qscheme=torch.per_tensor_affine, is_dynamic=False,
        observer_or_fake_quant_ctr=act_observer.with_args(**eps))
    per_channel = weight == 'per-channel'
    wgt = QuantizationSpec(
        dtype=torch.int8, quant_min=-2**(weight_bits - 1),
        quant_max=2**(weight_bits - 1) - 1,
        qscheme=(torch.per_channel_symmetric
                 if per_channel else torch.per_tensor_symmetric),
        ch_axis=0 if per_channel else None, is_dynamic=False,
        observer_or_fake_quant_ctr=(
            observer.PerChannelMinMaxObserver
            if per_channel else observer.MinMaxObserver).with_args(**eps))
    config = QuantizationConfig(act, act, wgt, None, False)
    return x86.X86InductorQuantizer().set_global(config)


def _batch_dim() -> dict:
    return {0: torch.export.Dim('batch')}


def quantize_static(model_fn: nn.Module,
                    calib_batches: Iterable[torch.Tensor],
                    example_input: torch.Tensor,
                    weight_bits: int = 8,
                    activation_bits: int = 8,
                    weight: str = 'per-channel',
                    activation: str = 'histogram') -> torch.fx.GraphModule:
    """A statically quantized copy of ``model_fn`` calibrated on
    ``calib_batches`` (PT2E, see the module docstring). ``model_fn`` itself
    is not modified.

    Args:
        model_fn (nn.Module): The float model, e.g. a
            :class:`PixelSpaceModel`, in eval mode; must be exportable by
            ``torch.export`` with a dynamic batch dimension.
        calib_batches (Iterable[Tensor]): Calibration input batches (what
            ``model_fn`` takes, e.g. pixel-space N×C×H×W images).
        example_input (Tensor): One input batch (N >= 2) for the export.
        weight_bits, activation_bits, weight, activation: The precision
            and observers, see :func:`make_quantizer`.

    Returns:
        GraphModule: The quantized model (CPU), taking and returning
        float tensors, for any batch size.

    Raises:
        ValueError: If ``calib_batches`` is empty.
    """
    _, prepare_pt2e, convert_pt2e, _ = _torchao()
    quantizer = make_quantizer(weight_bits, activation_bits, weight,
                               activation)
    model_fn = model_fn.cpu().eval()
    exported = torch.export.export(
        model_fn, (example_input.cpu().float(), ),
        dynamic_shapes=(_batch_dim(), )).module()
    prepared = prepare_pt2e(exported, quantizer)
    seen = 0
    with torch.no_grad():
        for batch in calib_batches:
            prepared(batch.cpu().float())
            seen += batch.shape[0]
    if not seen:
        raise ValueError('no calibration images: calib_batches is empty')
    return convert_pt2e(prepared)


def save_quantized(model: nn.Module, example_input: torch.Tensor,
                   path: str) -> str:
    """Save a :func:`quantize_static` model with ``torch.export.save`` (a
    ``.pt2`` archive: graph and tensors, int8 weights kept as int8, no
    pickled code), with a dynamic batch dimension.

    Args:
        model (nn.Module): The quantized model.
        example_input (Tensor): One input batch (N >= 2).
        path (str): The file (``.pt2``); its folder is created.

    Returns:
        str: ``path``.
    """
    program = torch.export.export(model, (example_input.cpu().float(), ),
                                  dynamic_shapes=(_batch_dim(), ))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.export.save(program, path)
    return path


def load_quantized(path: str) -> nn.Module:
    """The model :func:`save_quantized` wrote, ready to run.

    Args:
        path (str): The ``.pt2`` file.

    Returns:
        nn.Module: Maps input batches to logits, as before saving.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'quantized model {path!r} not found')
    _torchao()  # registers the quantize / dequantize operators it uses
    return torch.export.load(path).module()


def _quant_calls(model: nn.Module, name: str):
    graph = getattr(model, 'graph', None)
    for node in (graph.nodes if graph is not None else ()):
        if node.op == 'call_function' and name in str(node.target):
            yield node


def integer_weights(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The int8 tensors a quantized model holds (its weights, stored as
    integers), by attribute name.

    Args:
        model (nn.Module): A :func:`quantize_static` or
            :func:`load_quantized` model.

    Returns:
        dict: ``{name: int8 tensor}``.
    """
    found = {}
    for node in _quant_calls(model, 'dequantize_per_'):
        source = node.args[0]
        if getattr(source, 'op', None) != 'get_attr':
            continue
        value = model
        for part in source.target.split('.'):
            value = getattr(value, part)
        if isinstance(value, torch.Tensor) and value.dtype == torch.int8:
            found[source.target] = value
    return found


def is_quantized(model: nn.Module) -> bool:
    """Whether ``model`` quantizes its activations and holds int8 weights.

    Args:
        model (nn.Module): A converted model.

    Returns:
        bool: True with at least one activation quantize operation and one
        int8 weight.
    """
    return bool(list(_quant_calls(model, 'quantize_per_tensor'))) and bool(
        integer_weights(model))


def activation_scales(model: nn.Module) -> Dict[str, float]:
    """Scales of the quantized activations of a converted model (the
    ``quantize_per_tensor`` operations, input first), by node name.

    Args:
        model (nn.Module): A converted model.

    Returns:
        dict: ``{name: scale}``, in graph order.
    """
    return {
        node.name: float(node.args[1])
        for node in _quant_calls(model, 'quantize_per_tensor')
        if node.name.startswith('quantize')
    }


def batches(images: torch.Tensor, batch_size: int = 64):
    """Split an N×... tensor into float batches of at most ``batch_size``.

    Args:
        images (Tensor): The images.
        batch_size (int): Images per batch. Defaults to 64.

    Yields:
        Tensor: Consecutive float32 slices.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be positive, got {batch_size}')
    for start in range(0, images.shape[0], batch_size):
        yield images[start:start + batch_size].float()


def gaussian_noise_images(num: int,
                          shape: Sequence[int],
                          mean: torch.Tensor,
                          std: torch.Tensor,
                          pixel_range: Tuple[float, float] = (0., 255.),
                          seed: int = 0) -> torch.Tensor:
    """Gaussian noise with per-channel pixel mean and std, clipped.

    Args:
        num (int): Number of images.
        shape (Sequence[int]): (C, H, W).
        mean (Tensor): Per-channel pixel mean (C values).
        std (Tensor): Per-channel pixel std (C values).
        pixel_range (tuple): Clip to ``[low, high]``. Defaults to 0..255.
        seed (int): Seed of a private generator. Defaults to 0.

    Returns:
        Tensor: float32 ``num``×C×H×W images.
    """
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn((num, ) + tuple(shape), generator=gen)
    mean = torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1)
    std = torch.as_tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1)
    return (noise * std + mean).clamp(float(pixel_range[0]),
                                      float(pixel_range[1]))


@torch.no_grad()
def evaluate(model_fn: nn.Module,
             images: torch.Tensor,
             labels: torch.Tensor,
             batch_size: int = 256,
             reference: Optional[torch.Tensor] = None,
             reference_logits: Optional[torch.Tensor] = None) -> dict:
    """Top-1 accuracy of ``model_fn`` on ``images``.

    Args:
        model_fn (nn.Module): Maps an input batch to N×K logits (float or
            quantized model).
        images (Tensor): Inputs, N×C×H×W (pixel space for a
            :class:`PixelSpaceModel`).
        labels (Tensor): Ground-truth classes (N,).
        batch_size (int): Images per forward. Defaults to 256.
        reference (Tensor, optional): Predictions (N,) of another model,
            e.g. the float one, to measure agreement with.
        reference_logits (Tensor, optional): Logits (N×K) of another
            model, e.g. the float one, to measure the output error with.

    Returns:
        dict: ``accuracy`` (%, float), ``predictions`` (N,) int64 tensor,
        ``logits`` (N×K float tensor) and, with ``reference``,
        ``agreement`` (% of images predicted the same); with
        ``reference_logits``, ``sqnr_db``: the signal-to-quantization-noise
        ratio of the logits, ``10 log10(sum(ref²) / sum((out - ref)²))``
        (higher is closer; +inf when identical).
    """
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f'{images.shape[0]} images but {labels.shape[0]} '
                         'labels')
    if not isinstance(model_fn, torch.fx.GraphModule):
        model_fn.eval()  # an exported graph has no modes
    logits = torch.cat([model_fn(b) for b in batches(images, batch_size)])
    preds = logits.argmax(dim=1)
    result = dict(
        accuracy=100.0 * float((preds == labels).float().mean()),
        predictions=preds,
        logits=logits)
    if reference is not None:
        result['agreement'] = 100.0 * float(
            (preds == reference).float().mean())
    if reference_logits is not None:
        ref = reference_logits.float()
        noise = float(((logits - ref)**2).sum())
        signal = float((ref**2).sum())
        result['sqnr_db'] = (float('inf') if noise == 0 else
                             10.0 * math.log10(signal / noise))
    return result
