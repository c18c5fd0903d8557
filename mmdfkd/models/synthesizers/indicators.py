"""Mode-collapse indicators of a synthesized batch and of a pool."""
from typing import Dict

import torch
from mmengine.dist import all_gather

from mmdfkd.utils import global_sum, is_distributed


def class_balance(counts: torch.Tensor) -> torch.Tensor:
    """Entropy of a class histogram divided by log C: 1 when every class
    is as frequent, 0 when one class holds everything."""
    hist = counts.float() / counts.sum().clamp_min(1)
    entropy = -(hist * hist.clamp_min(1e-12).log()).sum()
    return entropy / torch.log(torch.tensor(float(len(counts))))


def batch_diversity(logits: torch.Tensor,
                    rows_per_image: int = 1) -> Dict[str, torch.Tensor]:
    """Mode-collapse indicators of a synthesized batch from the teacher's
    logits, as rows (per image, or per pixel with ``rows_per_image`` =
    H*W): the mean pairwise distance of the L2-normalised per-image logits
    (a pixel's rows averaged first; 0 when every image looks the same to
    the teacher, up to 2), and the entropy of the teacher's class histogram
    over all rows divided by log C (1 when balanced, 0 for one class).

    Under DDP both are figures of the global batch (the per-image logits
    are gathered, the histograms summed), as the losses see it: a rank's
    slice may be too small to hold every class. Every rank must call it.
    """
    rows = logits.detach().float()
    c = rows.shape[1]
    images = rows.reshape(-1, rows_per_image, c).mean(1)
    feats = torch.nn.functional.normalize(images, dim=1)
    if is_distributed():
        feats = torch.cat(all_gather(feats))
    n = feats.shape[0]
    pairwise = torch.cdist(feats, feats).sum() / max(n * (n - 1), 1)
    hist = global_sum(torch.bincount(rows.argmax(1), minlength=c).float())
    return {
        'synthesis.diversity': pairwise,
        'synthesis.class_balance': class_balance(hist)
    }
