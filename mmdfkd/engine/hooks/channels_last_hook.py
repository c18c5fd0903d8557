"""Run the distiller's networks in the channels-last memory format."""
import torch
from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert teacher, student and synthesizer to ``channels_last`` when
    training starts.

    Convolutions on GPUs (cuDNN with tensor cores, most of all under
    ``--amp``) are faster in NHWC; the synthesized images need no change:
    a convolution whose weight is channels-last makes its output
    channels-last, and the layers after it follow.

    Only for single-process runs: DDP lays out its gradient buckets when
    it wraps the model, before any hook runs, and would copy every
    channels-last gradient into them.
    """
    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        if unwrap_model(runner.model) is not runner.model:
            raise RuntimeError(
                'ChannelsLastHook cannot convert a model already wrapped '
                'for distributed training (DDP fixed its gradient layout '
                'when wrapping); remove the hook for multi-process runs.')
        runner.model.to(memory_format=torch.channels_last)
