"""Knowledge distillation on a real dataset, with the data-free
distiller's loss terms, contexts, recorders and student EMA."""
from typing import Dict, Optional, Union

import torch
from mmengine.optim import OptimWrapperDict

from mmdfkd.registry import MODELS
from .base_distiller import BaseDistiller, build_terms


@MODELS.register_module()
class KnowledgeDistiller(BaseDistiller):
    """Distil a frozen teacher into a student on real images (e.g. an
    mmpretrain dataset): each runner iteration is one student step on the
    dataloader's batch.

    It shares :class:`BaseDistiller` with the data-free distiller, so every
    student loss term works unchanged. The data preprocessor only stacks
    the images and casts them to float; each network sees them normalised
    as its own preprocessor would (channel order included), as synthesized
    batches are. The ground truth labels reach the terms as ``ctx.labels``
    and the samples' dataset indices (``sample_idx`` of their metainfo) as
    ``ctx.sample_idx`` (CRD's memory uses them).

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
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor')
        super().__init__(data_preprocessor, init_cfg)
        self._build_networks(teacher, student)
        self.student_losses = build_terms(student_losses)
        self._finish_build(self.student_losses.values(), teacher_ckpt,
                           student_ema, max_nonfinite_steps)

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
        sample_idx = None if None in idx else torch.as_tensor(
            idx, dtype=torch.long, device=images.device)
        self.rounds += 1
        log, _ = self.train_student(images, labels.to(images.device),
                                    optim_wrapper['student'], sample_idx)
        return log
