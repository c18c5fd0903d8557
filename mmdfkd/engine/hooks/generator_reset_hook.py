from typing import Sequence

from mmengine.hooks import Hook

from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model


@HOOKS.register_module()
class GeneratorResetHook(Hook):
    """Re-initialises layers of the synthesizer's generator every
    ``interval`` rounds (Fast DFKD resets the generator's first layer so
    that the meta-generator does not settle on a few modes).

    Args:
        layers (Sequence[str]): Submodule paths in the generator, e.g.
            ``('project',)``; every module with ``reset_parameters`` inside
            them is reset.
        interval (int): Rounds between resets. Defaults to 10.
    """
    priority = 'NORMAL'

    def __init__(self, layers: Sequence[str], interval: int = 10) -> None:
        if interval < 1 or not layers:
            raise ValueError('GeneratorResetHook needs layers and an '
                             f'interval >= 1, got {layers}, {interval}')
        self.layers = tuple(layers)
        self.interval = interval

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if runner.iter == 0 or runner.iter % self.interval:
            return
        generator = unwrap_model(
            unwrap_model(runner.model).synthesizer.generator)
        for path in self.layers:
            for module in generator.get_submodule(path).modules():
                if hasattr(module, 'reset_parameters'):
                    module.reset_parameters()
