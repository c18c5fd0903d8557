"""Int8 post-training quantization with calibration data ("The Knowledge
Within", Haroush et al., CVPR'20): calibrate the activation ranges of a
static int8 copy of a model on real, synthetic or noise images and compare
its accuracy with the float model's.

The quantization is PyTorch's own FX graph mode static quantization
(``torch.ao.quantization.quantize_fx.prepare_fx`` / ``convert_fx``) with the
``x86`` backend (fbgemm kernels + oneDNN): Conv-BN-ReLU blocks are folded
and fused, weights are int8 (per-channel by default), activations uint8 with
ranges from observers that see the calibration batches. In torch 2.13 the
PT2E flow (``prepare_pt2e`` / ``X86InductorQuantizer``) is no longer part of
torch (it moved to the separate ``torchao`` package, not a dependency here);
``torch.ao.quantization`` FX still ships and works but warns that it is
deprecated. Those warnings are filtered inside :func:`quantize_int8` (see
:data:`QUIET_WARNINGS`).

Models are quantized in **pixel space**: :class:`PixelSpaceModel` wraps an
mmpretrain classifier as ``x -> model(normalise(x), mode='tensor')`` where
``normalise`` is its data preprocessor's channel flip and ``(x - mean) /
std``. The normalisation stays a float op at the graph's input; the first
quantize node comes right after it, so the input's int8 range is calibrated
on normalised images like every other activation.

This module is imported by path (``mmdfkd.engine.quantization``); nothing
else imports it, so ``torch.ao.quantization`` is only loaded when used.
"""
import copy
import math
import warnings
from contextlib import contextmanager
from typing import Dict, Iterable, Optional, Sequence, Tuple

import torch
from torch import nn

__all__ = [
    'PixelSpaceModel', 'QUIET_WARNINGS', 'activation_scales', 'batches',
    'evaluate', 'gaussian_noise_images', 'is_quantized',
    'make_qconfig_mapping', 'quantize_int8', 'quantized_modules',
    'select_backend'
]

#: Warnings of the deprecated-but-working ``torch.ao.quantization`` path,
#: filtered while quantizing (message regexes).
QUIET_WARNINGS = (
    r'torch\.ao\.quantization is deprecated',
    r'Please use quant_min and quant_max',
    r'.*quantized tensor creation functions',
)

#: Quantization path used, for reports.
QUANTIZATION_PATH = ('torch.ao.quantization FX graph mode (prepare_fx / '
                     'convert_fx), static int8')


@contextmanager
def _quiet():
    with warnings.catch_warnings():
        for message in QUIET_WARNINGS:
            warnings.filterwarnings('ignore', message=message)
        yield


class PixelSpaceModel(nn.Module):
    """An mmpretrain classifier that takes pixel-space images.

    ``forward(x)`` returns ``model(normalise(x), mode='tensor')`` (the
    logits), where ``normalise`` does what the model's data preprocessor
    does to a batch of same-sized images: flip BGR↔RGB when it converts
    channels, then ``(x - mean) / std`` when it normalises. Batch
    augmentations of training (mixup ...) are not applied.

    Args:
        model (nn.Module): A classifier with a ``data_preprocessor`` (e.g.
            ``ClsDataPreprocessor``) and ``forward(inputs, mode='tensor')``.
            Used as is (not copied); put it in eval mode first.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        pre = getattr(model, 'data_preprocessor', None)
        self.flip_channels = bool(getattr(pre, '_channel_conversion', False))
        normalise = bool(getattr(pre, '_enable_normalize', False))
        mean = pre.mean.detach().clone() if normalise else torch.zeros(1)
        std = pre.std.detach().clone() if normalise else torch.ones(1)
        self.register_buffer('mean', mean.reshape(1, -1, 1, 1))
        self.register_buffer('std', std.reshape(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.flip_channels:
            x = x.flip(1)
        return self.model((x - self.mean) / self.std, mode='tensor')


def select_backend(backend: str = 'x86') -> str:
    """Make ``backend`` PyTorch's quantized engine, if it is supported.

    Args:
        backend (str): ``'x86'`` (fbgemm + oneDNN), ``'fbgemm'``,
            ``'qnnpack'`` or ``'onednn'``. Defaults to ``'x86'``.

    Returns:
        str: The engine now in use.

    Raises:
        RuntimeError: If this PyTorch build lacks the engine.
    """
    engines = torch.backends.quantized.supported_engines
    if backend not in engines:
        raise RuntimeError(f'quantized engine {backend!r} is not supported '
                           f'by this PyTorch build (supported: {engines})')
    torch.backends.quantized.engine = backend
    return backend


def make_qconfig_mapping(backend: str = 'x86',
                         weight: str = 'per-channel',
                         activation: str = 'histogram'):
    """The backend's default static int8 ``QConfigMapping``, optionally
    with other observers.

    Args:
        backend (str): Quantized engine. Defaults to ``'x86'``.
        weight (str): ``'per-channel'`` (the backend default: symmetric
            int8 per output channel) or ``'per-tensor'`` (one symmetric
            int8 scale per weight tensor). Defaults to 'per-channel'.
        activation (str): Activation observer: ``'histogram'`` (the
            backend default: a range minimising the quantization error of
            the observed histogram) or ``'minmax'`` (the observed min and
            max). Defaults to 'histogram'.

    Returns:
        QConfigMapping: For ``prepare_fx``.
    """
    with _quiet():
        from torch.ao.quantization import (HistogramObserver, MinMaxObserver,
                                           QConfig,
                                           get_default_qconfig_mapping)
    if weight not in ('per-channel', 'per-tensor'):
        raise ValueError(f"weight must be 'per-channel' or 'per-tensor', "
                         f'got {weight!r}')
    if activation not in ('histogram', 'minmax'):
        raise ValueError(f"activation must be 'histogram' or 'minmax', "
                         f'got {activation!r}')
    with _quiet():
        mapping = get_default_qconfig_mapping(backend)
        if weight == 'per-channel' and activation == 'histogram':
            return mapping
        default = mapping.global_qconfig
        # x86/fbgemm kernels need reduce_range activations (7 bits) to
        # avoid overflow in their int16 accumulation, as the default does.
        reduce = backend in ('x86', 'fbgemm')
        act_cls = (HistogramObserver
                   if activation == 'histogram' else MinMaxObserver)
        act = act_cls.with_args(reduce_range=reduce)
        wgt = (default.weight if weight == 'per-channel' else
               MinMaxObserver.with_args(dtype=torch.qint8,
                                        qscheme=torch.per_tensor_symmetric))
        return mapping.set_global(QConfig(activation=act, weight=wgt))


def quantize_int8(model_fn: nn.Module,
                  calib_batches: Iterable[torch.Tensor],
                  example_input: torch.Tensor,
                  backend: str = 'x86',
                  weight: str = 'per-channel',
                  activation: str = 'histogram') -> nn.Module:
    """A static int8 copy of ``model_fn`` calibrated on ``calib_batches``.

    FX graph mode post-training quantization: ``prepare_fx`` traces a deep
    copy of ``model_fn``, folds BatchNorm into the convolutions, fuses
    Conv-ReLU and inserts observers; every calibration batch is run through
    it (no gradient); ``convert_fx`` then replaces the observed modules by
    quantized ones (``QuantizedConvReLU2d``, ``QuantizedLinear`` with int8
    weights) whose activation scales come from the observers. ``model_fn``
    itself is not modified.

    Args:
        model_fn (nn.Module): The float model, e.g. a
            :class:`PixelSpaceModel`; must be FX-traceable. Put in eval
            mode on the copy.
        calib_batches (Iterable[Tensor]): Calibration input batches (what
            ``model_fn`` takes, e.g. pixel-space N×C×H×W images).
        example_input (Tensor): One input batch for tracing.
        backend (str): Quantized engine (``'x86'``, ``'fbgemm'``,
            ``'qnnpack'``, ``'onednn'``). Defaults to ``'x86'``.
        weight (str): ``'per-channel'`` or ``'per-tensor'`` weight
            observers, see :func:`make_qconfig_mapping`.
        activation (str): ``'histogram'`` or ``'minmax'`` activation
            observers, see :func:`make_qconfig_mapping`.

    Returns:
        nn.Module: The quantized ``GraphModule`` (CPU, eval mode) taking
        and returning float tensors.

    Raises:
        ValueError: If ``calib_batches`` is empty.
    """
    select_backend(backend)
    model = copy.deepcopy(model_fn).cpu().eval()
    with _quiet():
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
        mapping = make_qconfig_mapping(backend, weight, activation)
        prepared = prepare_fx(model, mapping, (example_input.cpu(), ))
        seen = 0
        with torch.no_grad():
            for batch in calib_batches:
                prepared(batch.cpu().float())
                seen += batch.shape[0]
        if not seen:
            raise ValueError('no calibration images: calib_batches is empty')
        quantized = convert_fx(prepared)
    return quantized.eval()


def quantized_modules(model: nn.Module) -> Dict[str, nn.Module]:
    """The modules of ``model`` from ``torch.ao.nn.quantized`` (and its
    fused ``intrinsic.quantized`` variants), by name.

    Args:
        model (nn.Module): A converted model.

    Returns:
        dict: ``{name: module}``.
    """
    return {
        name: module
        for name, module in model.named_modules()
        if type(module).__module__.startswith(
            ('torch.ao.nn.quantized', 'torch.ao.nn.intrinsic.quantized'))
    }


def is_quantized(model: nn.Module) -> bool:
    """Whether ``model`` holds quantized modules with int8 weights.

    Args:
        model (nn.Module): A converted model.

    Returns:
        bool: True if at least one quantized module has a ``qint8``
        weight.
    """
    for module in quantized_modules(model).values():
        weight = getattr(module, 'weight', None)
        if callable(weight):
            weight = weight()
        if isinstance(weight, torch.Tensor) and weight.dtype == torch.qint8:
            return True
    return False


def activation_scales(model: nn.Module) -> Dict[str, float]:
    """Output scales of the quantized activations of a converted model:
    the input quantize nodes (``_scale_<i>`` buffers) and each quantized
    module's output ``scale``.

    Args:
        model (nn.Module): A converted model.

    Returns:
        dict: ``{name: scale}``, in module order.
    """
    scales = {}
    for name, buf in model.named_buffers():
        if name.rsplit('.', 1)[-1].startswith('_scale_') and buf.numel() == 1:
            scales[name] = float(buf)
    for name, module in quantized_modules(model).items():
        scale = getattr(module, 'scale', None)
        if isinstance(scale, (float, int)) or (isinstance(
                scale, torch.Tensor) and scale.numel() == 1):
            scales[name] = float(scale)
    return scales


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
    model_fn.eval()
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
