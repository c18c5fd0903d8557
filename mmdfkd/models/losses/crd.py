"""Contrastive representation distillation with a bounded memory."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mmdfkd.registry import MODELS
from mmdfkd.utils import is_distributed
from .base import LossTerm
from .context import DistillContext


@MODELS.register_module()
class CRDLoss(LossTerm):
    """CRD (Tian et al., ICLR'20) with a fixed-size queue as its memory.

    Student and teacher penultimate features are embedded by linear heads
    to ``embed_dim``, L2-normalised, and contrasted both ways with InfoNCE
    at temperature ``tau``: the student embedding of sample i must pick the
    teacher embedding of sample i among the batch's other teacher
    embeddings and the ``queue_size`` newest ones of earlier steps (and the
    other way round). The teacher's features are detached: its head
    learns, the teacher does not. The heads are trained by the student's
    optimiser (the distiller adds trainable loss terms to it).

    The original CRD keeps one memory entry per training sample (it grows
    with the dataset); this queue holds ``queue_size`` entries whatever the
    dataset. When the batch carries dataset indices (``ctx.sample_idx``,
    real-data KD) queue entries of the anchor's own sample are not used as
    negatives. Under DDP the heads are wrapped in DDP when first used
    (their gradients are averaged; the wrapper stays out of the state
    dict) and every rank pushes the gathered embeddings of all ranks, so
    the queues stay identical. The queue is a set of buffers: it is saved
    in checkpoints and survives ``--resume``.

    Args:
        student_channels (int): Width of the student feature.
        teacher_channels (int): Width of the teacher feature.
        student_record (str): Student record to embed. Defaults to
            ``'head:in'`` (the pooled penultimate feature).
        teacher_record (str): Teacher record. Defaults to ``'head:in'``.
        embed_dim (int): Embedding width. Defaults to 128.
        tau (float): Temperature. Defaults to 0.07.
        queue_size (int): Entries of the memory (negatives per direction
            besides the batch). Defaults to 4096.
        loss_weight (float): Defaults to 1.0.
    """
    needs_student = True

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 student_record: str = 'head:in',
                 teacher_record: str = 'head:in',
                 embed_dim: int = 128,
                 tau: float = 0.07,
                 queue_size: int = 4096,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        if tau <= 0 or queue_size < 1 or embed_dim < 1:
            raise ValueError(
                'CRDLoss needs tau > 0, queue_size >= 1 and embed_dim >= 1, '
                f'got tau={tau}, queue_size={queue_size}, '
                f'embed_dim={embed_dim}')
        self.student_record = student_record
        self.teacher_record = teacher_record
        self.tau = float(tau)
        self.embed_student = nn.Linear(student_channels, embed_dim)
        self.embed_teacher = nn.Linear(teacher_channels, embed_dim)
        self.register_buffer('queue_student',
                             torch.zeros(queue_size, embed_dim))
        self.register_buffer('queue_teacher',
                             torch.zeros(queue_size, embed_dim))
        # dataset index of each entry (-1: unknown)
        self.register_buffer('queue_idx',
                             torch.full((queue_size, ), -1, dtype=torch.long))
        self.register_buffer('queue_len', torch.zeros((), dtype=torch.long))
        self.register_buffer('queue_ptr', torch.zeros((), dtype=torch.long))
        # DDP wrappers of the heads, outside the module tree on purpose
        self._ddp: Dict[str, nn.Module] = {}

    @property
    def queue_size(self) -> int:
        return self.queue_student.shape[0]

    @property
    def teacher_records(self) -> Sequence[str]:
        return (self.teacher_record, )

    @property
    def student_records(self) -> Sequence[str]:
        return (self.student_record, )

    def _head(self, role: str) -> nn.Module:
        head = getattr(self, f'embed_{role}')
        if not is_distributed():
            return head
        if role not in self._ddp:
            device_ids = ([head.weight.device.index]
                          if head.weight.is_cuda else None)
            self._ddp[role] = DistributedDataParallel(
                head, device_ids=device_ids, broadcast_buffers=False)
        return self._ddp[role]

    @staticmethod
    def _pooled(feat: torch.Tensor) -> torch.Tensor:
        if feat.dim() > 2:  # a feature map: average over its positions
            feat = feat.flatten(2).mean(dim=2)
        return feat.float()

    def _nce(self, anchor: torch.Tensor, positive: torch.Tensor,
             memory: torch.Tensor,
             idx: Optional[torch.Tensor]) -> torch.Tensor:
        """InfoNCE: row i of ``anchor`` against ``positive`` (diagonal
        positives, the rest of the batch negatives) and ``memory``."""
        logits = [anchor @ positive.t()]
        if memory.shape[0]:
            neg = anchor @ memory.t()
            if idx is not None:
                same = self.queue_idx[:memory.shape[0]][None] == idx[:, None]
                neg = neg.masked_fill(same, float('-inf'))
            logits.append(neg)
        logits = torch.cat(logits, dim=1) / self.tau
        target = torch.arange(anchor.shape[0], device=anchor.device)
        return F.cross_entropy(logits, target)

    def compute(self, ctx: DistillContext) -> torch.Tensor:
        f_s = self._pooled(ctx.student_feats[self.student_record])
        f_t = self._pooled(ctx.teacher_feats[self.teacher_record]).detach()
        s = F.normalize(self._head('student')(f_s), dim=1)
        t = F.normalize(self._head('teacher')(f_t), dim=1)
        n = int(self.queue_len)
        # copies: the queue is updated in place before the backward pass
        mem_s = self.queue_student[:n].clone()
        mem_t = self.queue_teacher[:n].clone()
        idx = ctx.sample_idx
        loss = 0.5 * (self._nce(s, t, mem_t, idx) +
                      self._nce(t, s, mem_s, idx))
        if torch.is_grad_enabled():
            self._push(s.detach(), t.detach(), idx)
        return loss

    @torch.no_grad()
    def _push(self, s: torch.Tensor, t: torch.Tensor,
              idx: Optional[torch.Tensor]) -> None:
        if idx is None:
            idx = torch.full((s.shape[0], ), -1, dtype=torch.long,
                             device=s.device)
        s = torch.cat(all_gather(s.contiguous()))
        t = torch.cat(all_gather(t.contiguous()))
        idx = torch.cat(all_gather(idx.long().contiguous()))
        size = self.queue_size
        if s.shape[0] > size:  # keep the newest
            s, t, idx = s[-size:], t[-size:], idx[-size:]
        pos = (int(self.queue_ptr) +
               torch.arange(s.shape[0], device=s.device)) % size
        self.queue_student[pos] = s.to(self.queue_student.dtype)
        self.queue_teacher[pos] = t.to(self.queue_teacher.dtype)
        self.queue_idx[pos] = idx.to(self.queue_idx.device)
        self.queue_ptr.fill_((int(self.queue_ptr) + s.shape[0]) % size)
        self.queue_len.fill_(min(size, int(self.queue_len) + s.shape[0]))

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, queue_size={self.queue_size}, ' +
                super().extra_repr())
