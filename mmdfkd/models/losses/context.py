"""What a loss term sees of one synthesized batch."""
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional

import torch


class BNMoments(NamedTuple):
    """Local moments of one BatchNorm input, shifted by its running mean.

    The shift (``d = x - running_mean``) keeps ``E[d²] - E[d]²`` accurate in
    float32, and ``E[d]`` is directly the distance of the batch mean from
    the running mean.
    """
    shifted_sum: torch.Tensor     # Σ d over (N, H, W), per channel
    shifted_sq_sum: torch.Tensor  # Σ d² over (N, H, W), per channel
    count: int                    # N*H*W on this rank
    running_var: torch.Tensor


@dataclass
class DistillContext:
    """Inputs and network outputs shared by every loss term of one step.

    Logits are already flattened to rows by the task adapter (one row per
    image or per pixel), so loss terms never branch on the task.

    Args:
        images (Tensor): The synthesized batch, N×C×H×W.
        teacher_logits (Tensor): (M, C) teacher logits.
        student_logits (Tensor, optional): (M, C) student logits.
        labels (Tensor, optional): (N,) labels drawn with the latents.
        rows_per_sample (int): 1 for classification, H*W for segmentation.
        teacher_feats (dict): Recorded teacher activations by record name.
        student_feats (dict): Recorded student activations by record name.
        bn_moments (list[BNMoments]): Teacher BatchNorm input moments.
        latents (Tensor, optional): (N, D) latents the batch was generated
            from (generator steps).
        sample_idx (Tensor, optional): (N,) dataset indices of the samples
            (real-data distillation).
    """
    images: torch.Tensor
    teacher_logits: torch.Tensor
    student_logits: Optional[torch.Tensor] = None
    labels: Optional[torch.Tensor] = None
    rows_per_sample: int = 1
    teacher_feats: Dict[str, torch.Tensor] = field(default_factory=dict)
    student_feats: Dict[str, torch.Tensor] = field(default_factory=dict)
    bn_moments: List[BNMoments] = field(default_factory=list)
    latents: Optional[torch.Tensor] = None
    sample_idx: Optional[torch.Tensor] = None

    def row_labels(self) -> torch.Tensor:
        """The sampled labels, one per row."""
        if self.labels is None:
            raise ValueError('this loss needs sampled labels, but the latent '
                             'source gave none')
        return self.labels.repeat_interleave(self.rows_per_sample)
