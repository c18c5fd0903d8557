from typing import Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from mmdfkd.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmdfkd.utils import unwrap_model


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """One optimiser wrapper per trained network, as an ``OptimWrapperDict``.

    Each key of ``optim_wrapper_cfg`` (e.g. ``generator``, ``student``) holds
    an ordinary optim-wrapper config (``optimizer``, ``type``, ``clip_grad``,
    ``paramwise_cfg``...) for the module the model's ``optim_targets()``
    names under that key.

    Args:
        optim_wrapper_cfg (dict): Key → optim-wrapper config.
        paramwise_cfg (dict, optional): Must be None; give it per key.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError('give `paramwise_cfg` inside each optimiser\'s '
                             'config, not at the top level')
        self.cfgs = {k: dict(v) for k, v in optim_wrapper_cfg.items()}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = unwrap_model(model)
        targets = model.optim_targets()
        missing = sorted(set(targets) - set(self.cfgs))
        unknown = sorted(set(self.cfgs) - set(targets))
        if missing or unknown:
            raise KeyError(
                f'optim_wrapper needs one entry per trained network '
                f'{sorted(targets)}; missing {missing}, unknown {unknown}')
        wrappers = {}
        for name, cfg in self.cfgs.items():
            cfg = dict(cfg)  # keep self.cfgs intact for the next call
            paramwise = cfg.pop('paramwise_cfg', None)
            cfg.setdefault('type', 'OptimWrapper')
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise)(
                unwrap_model(targets[name]))
        return OptimWrapperDict(**wrappers)
