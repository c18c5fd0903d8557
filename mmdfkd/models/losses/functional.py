"""Distances between logit rows shared by several loss terms."""
import torch
import torch.nn.functional as F


def l1_distance(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference over all rows and classes."""
    return (student - teacher).abs().mean()


def kl_divergence(teacher: torch.Tensor, student: torch.Tensor,
                  tau: float = 1.0) -> torch.Tensor:
    """τ²·KL(softmax(T/τ) ‖ softmax(S/τ)), summed over classes, row mean."""
    log_p_t = F.log_softmax(teacher / tau, dim=1)
    log_p_s = F.log_softmax(student / tau, dim=1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=1)
    return kl.mean() * tau * tau
