"""count_syncs on a CPU: the reads of tensor values on the host."""
import torch

from mmdfkd.benchmark.syncs import count_host_reads, count_syncs

CPU = torch.device('cpu')


def test_counts_each_host_read():
    x = torch.ones(3, requires_grad=True)

    def step():
        loss = (x * 2).sum()
        loss.item()
        if loss > 0:  # __bool__
            loss.tolist()
    assert count_syncs(step, CPU) == 3


def test_device_work_and_optimizer_counters_are_not_reads():
    x = torch.ones(3, requires_grad=True)
    opt = torch.optim.Adam([x], lr=0.1)

    def step():
        opt.zero_grad()
        (x ** 2).sum().backward()
        opt.step()  # reads its host-side step counter
    step()
    assert count_syncs(step, CPU) == 0


def test_tensor_methods_are_restored():
    before = torch.Tensor.item
    with count_host_reads() as counts:
        torch.tensor(1.0).item()
    assert counts['n'] == 1 and torch.Tensor.item is before
