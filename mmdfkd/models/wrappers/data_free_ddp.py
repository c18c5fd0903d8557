import torch
from mmengine.device import get_device
from mmengine.model import (MMDistributedDataParallel,
                            MMSeparateDistributedDataParallel)
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mmdfkd.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DataFreeDistributedDataParallel(MMSeparateDistributedDataParallel):
    """Wraps each trained network of a data-free algorithm in its own DDP.

    The networks may be nested (e.g. ``synthesizer.generator``); the model
    names them in ``ddp_targets()``. The frozen teacher is only moved to the
    device. ``train_step`` calls the algorithm's own step, which alternates
    generator and student updates.

    Args:
        module (nn.Module): The algorithm.
        broadcast_buffers (bool): Defaults to False.
        find_unused_parameters (bool): Defaults to False.
        **kwargs: Other DDP arguments. ``device_ids`` defaults to the
            current CUDA device on GPUs and None on CPUs.
    """

    def __init__(self,
                 module: nn.Module,
                 broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False,
                 **kwargs) -> None:
        # Skip the parents' own wrapping (DDP of the whole, or of children).
        super(DistributedDataParallel, self).__init__()
        self.module = module.to(get_device())
        if 'device_ids' not in kwargs:
            kwargs['device_ids'] = ([torch.cuda.current_device()]
                                    if torch.cuda.is_available() else None)
        wrapped = []
        for path in module.ddp_targets():
            parent_path, _, name = path.rpartition('.')
            parent = module.get_submodule(parent_path)
            child = getattr(parent, name)
            if any(p.requires_grad for p in child.parameters()):
                setattr(
                    parent, name,
                    MMDistributedDataParallel(
                        module=child,
                        broadcast_buffers=broadcast_buffers,
                        find_unused_parameters=find_unused_parameters,
                        **kwargs))
                wrapped.append(path)
        # Checkpoints keep the unwrapped key names, so that one- and
        # multi-process runs read each other's checkpoints.
        module.register_state_dict_post_hook(_StripWrapperKeys(wrapped))


class _StripWrapperKeys:
    """State-dict hook renaming ``path.module.*`` to ``path.*``."""

    def __init__(self, paths) -> None:
        self.paths = list(paths)

    def __call__(self, module, state_dict, prefix, local_metadata) -> None:
        for path in self.paths:
            wrapped = f'{prefix}{path}.module.'
            for key in [k for k in state_dict if k.startswith(wrapped)]:
                state_dict[f'{prefix}{path}.{key[len(wrapped):]}'] = \
                    state_dict.pop(key)
