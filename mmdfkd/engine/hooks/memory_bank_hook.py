"""The memory bank of contrastive synthesis (CMI): created for the run,
saved in checkpoints, restored on resume.

:class:`ContrastiveMemoryBankHook` builds a
:class:`~mmdfkd.models.synthesizers.memory_bank.MemoryBank` when training
starts, on the model's device, with the feature length the synthesizer
declares (``synthesizer.feature_dim``), and hands it to the synthesizer
(``synthesizer.memory_bank``, ``synthesizer.num_negatives``); the
synthesizer pushes and samples.

The bank is not part of the model's ``state_dict``; the hook stores it under
``checkpoint['memory_bank']`` (tensors and ints: ``weights_only`` loading
reads it). Every rank holds the same bank (pushes are all-gathered), so the
checkpoint written by rank 0 serves all ranks. On resume MMEngine calls
``after_load_checkpoint`` *before* ``before_train``: the loaded state waits
until the bank exists.
"""
from typing import Any, Dict, Optional

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook

from mmdfkd.models.synthesizers.memory_bank import MemoryBank
from mmdfkd.registry import HOOKS
from mmdfkd.utils import unwrap_model

#: The checkpoint key.
CKPT_KEY = 'memory_bank'


def _model_device(model: torch.nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device('cpu')


@HOOKS.register_module()
class ContrastiveMemoryBankHook(Hook):
    """Give the synthesizer a FIFO memory bank of contrastive features.

    Args:
        size (int): Entries in the bank. Defaults to 40960 (CMI).
        num_negatives (int): Entries the synthesizer draws from it per step
            (set as ``synthesizer.num_negatives``). Defaults to 4096 (CMI).
        push_size (int, optional): Rows pushed per step, over all ranks.
            Defaults to the global batch: ``global_batch_size`` of the
            config, else the train dataloader's batch size × processes.

    The bank must hold at least one push (``size >= push_size``), and
    ``num_negatives`` must not exceed ``size``.

    The bank is restored on resume (``--resume``) only; ``load_from``
    alone loads weights and the run starts with an empty bank.
    """

    def __init__(self,
                 size: int = 40960,
                 num_negatives: int = 4096,
                 push_size: Optional[int] = None) -> None:
        size, num_negatives = int(size), int(num_negatives)
        if size <= 0 or num_negatives <= 0:
            raise ValueError(
                f'ContrastiveMemoryBankHook: size and num_negatives must be '
                f'positive, got size={size}, num_negatives={num_negatives}')
        if num_negatives > size:
            raise ValueError(
                f'ContrastiveMemoryBankHook: num_negatives={num_negatives} '
                f'exceeds the bank size={size}; it can never draw that many. '
                f'Set num_negatives <= size.')
        self.size = size
        self.num_negatives = num_negatives
        self.push_size = push_size
        self.bank: Optional[MemoryBank] = None
        # A state loaded before the bank exists (resume comes first).
        self._pending: Optional[Dict[str, Any]] = None

    @staticmethod
    def _synthesizer(runner):
        model = unwrap_model(runner.model)
        synthesizer = getattr(model, 'synthesizer', None)
        if synthesizer is None or not hasattr(synthesizer, 'feature_dim'):
            raise TypeError(
                'ContrastiveMemoryBankHook: the model needs a synthesizer '
                'with a feature_dim attribute (a contrastive synthesizer '
                f'such as CMI); got model {type(model).__name__} with '
                f'synthesizer {type(synthesizer).__name__}')
        return model, synthesizer

    def _global_batch(self, runner) -> int:
        if self.push_size is not None:
            return int(self.push_size)
        total = runner.cfg.get('global_batch_size')
        if total is not None:
            return int(total)
        return int(runner.train_dataloader.batch_size) * get_world_size()

    def before_train(self, runner) -> None:
        model, synthesizer = self._synthesizer(runner)
        batch = self._global_batch(runner)
        if self.size < batch:
            raise ValueError(
                f'ContrastiveMemoryBankHook: the memory bank (size='
                f'{self.size}) is smaller than one push of {batch} features '
                f'(the global batch), so it would only ever hold the current '
                f'batch. Set ContrastiveMemoryBankHook(size=...) to at least '
                f'{batch} (CMI: 40960) or lower global_batch_size.')
        self.bank = MemoryBank(
            self.size,
            int(synthesizer.feature_dim),
            device=_model_device(model),
            batch_size=batch)
        if self._pending is not None:
            self._restore(runner, self._pending)
            self._pending = None
        synthesizer.memory_bank = self.bank
        synthesizer.num_negatives = self.num_negatives

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.bank is not None:
            checkpoint[CKPT_KEY] = self.bank.state_dict()
        elif self._pending is not None:  # saved before training started
            checkpoint[CKPT_KEY] = self._pending

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from: weights only, a fresh bank
        state = checkpoint.get(CKPT_KEY)
        if state is None:
            runner.logger.warning(
                'ContrastiveMemoryBankHook: the checkpoint has no memory '
                'bank; the resumed run starts with an empty one')
            return
        if self.bank is None:
            self._pending = state
        else:
            self._restore(runner, state)

    def _restore(self, runner, state: Dict[str, Any]) -> None:
        self.bank.load_state_dict(state)
        if int(state['size']) != self.size:
            runner.logger.warning(
                f"ContrastiveMemoryBankHook: the checkpoint's bank has "
                f"{int(state['size'])} entries, this run's {self.size}; the "
                f'newest {len(self.bank)} were kept')
        runner.logger.info(
            f'ContrastiveMemoryBankHook: restored {len(self.bank)} memory '
            f'bank entries')
