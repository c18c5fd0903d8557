"""Knowledge distillation on a real dataset, with the data-free
distiller's loss terms, contexts, recorders and student EMA."""
from typing import Dict, Optional, Union

import torch
from mmengine.optim import OptimWrapperDict
from torch import nn

from mmdfkd.models.losses import DistillContext
from mmdfkd.registry import MODELS
from .data_free_distiller import DataFreeDistiller


class _RealBatch(nn.Module):
    """The "synthesizer" of real-data KD: the dataloader's images, as
    they are. It has nothing to train or wrap."""

    online = True
    synthesizes = False  # no collapse indicators, no probe batch

    def optim_targets(self) -> dict:
        return {}

    def ddp_targets(self) -> list:
        return []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images


@MODELS.register_module()
class KnowledgeDistiller(DataFreeDistiller):
    """Distil a frozen teacher into a student on real images (e.g. an
    mmpretrain dataset): each runner iteration is one student step on the
    dataloader's batch.

    It is a :class:`DataFreeDistiller` whose batches come from the
    dataloader instead of a generator, so every student loss term works
    unchanged. The data preprocessor only stacks the images and casts them
    to float (each network normalises its input with its own
    preprocessor's mean and std, as for synthesized batches); the ground
    truth labels reach the terms as ``ctx.labels`` and the samples' dataset
    indices (``sample_idx`` of their metainfo) as ``ctx.sample_idx``
    (CRD's memory uses them).

    Args:
        teacher (dict | str): Teacher model config or config path.
        student (dict | str): Student model config or config path.
        student_losses (dict): Name → loss-term config.
        teacher_ckpt (str, optional): Teacher weights (loaded with
            ``weights_only=True``). Defaults to None.
        student_ema (dict, optional): ``ExponentialMovingAverage``
            arguments. Defaults to None.
        max_nonfinite_steps (int): Defaults to 20.
        data_preprocessor (dict, optional): Defaults to an mmpretrain
            ``ClsDataPreprocessor`` without normalisation.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 teacher: Union[dict, str],
                 student: Union[dict, str],
                 student_losses: Dict[str, dict],
                 teacher_ckpt: Optional[str] = None,
                 student_ema: Optional[dict] = None,
                 max_nonfinite_steps: int = 20,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            teacher=teacher,
            student=student,
            synthesizer=dict(type=_RealBatch),
            generator_losses={},
            student_losses=student_losses,
            teacher_ckpt=teacher_ckpt,
            schedule=[('student', 1)],
            student_ema=student_ema,
            max_nonfinite_steps=max_nonfinite_steps,
            data_preprocessor=data_preprocessor
            or dict(type='mmpretrain.ClsDataPreprocessor'),
            init_cfg=init_cfg)
        self._sample_idx: Optional[torch.Tensor] = None

    def _check_synthesized_shape(self) -> None:
        """Nothing is synthesized: the dataset's pipeline decides what the
        networks take."""

    def _check_latent_preprocessor(self) -> None:
        """Batches are real samples, not latents."""

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        if 'inputs' not in data or 'data_samples' not in data:
            raise KeyError(
                'KnowledgeDistiller trains on a real dataset: batches need '
                "'inputs' and 'data_samples' (e.g. an mmpretrain dataset "
                'with PackInputs); for latent batches use DataFreeDistiller')
        data = self.data_preprocessor(data, True)
        images, samples = data['inputs'], data['data_samples']
        labels = torch.stack([s.gt_label.reshape(-1)[0] for s in samples])
        idx = [s.metainfo.get('sample_idx') for s in samples]
        self._sample_idx = None if None in idx else torch.as_tensor(
            idx, dtype=torch.long, device=images.device)
        self.rounds += 1
        return self._student_step(images, labels.to(images.device),
                                  optim_wrapper['student'])

    def _context(self, *args, **kwargs) -> DistillContext:
        ctx = super()._context(*args, **kwargs)
        ctx.sample_idx = self._sample_idx
        return ctx
