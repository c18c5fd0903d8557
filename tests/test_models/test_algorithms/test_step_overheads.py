"""What every kind of step must not do: compute teacher weight gradients,
or read device values on the host inside a synthesizer's inner loop."""
import os.path as osp

import pytest
import torch

from mmdfkd.benchmark.cases import Built, load_method
from mmdfkd.benchmark.syncs import count_host_reads

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
POOL = ['deepinv_digits.py', 'cmi_digits.py', 'fast_digits.py']
ONLINE = ['dfad_digits.py', 'dafl_digits.py', 'zskt_digits.py',
          'dfq_digits.py']


def built(name: str, batch: int = 4) -> Built:
    torch.manual_seed(0)
    return Built(load_method(osp.join(ROOT, 'configs', name)), batch,
                 torch.device('cpu'))


def set_iterations(b: Built, n: int) -> None:
    b.synthesizer.iterations = n


def synthesis_round(b: Built) -> None:
    b.synthesizer.step(b.model, b.z, b.y, b.wrappers)


def student_step(b: Built) -> None:
    b.model.student_step(b.z, b.y, b.wrappers['student'])


def teacher_grads(b: Built) -> list:
    return [n for n, p in b.model.teacher.named_parameters()
            if p.grad is not None]


@pytest.mark.parametrize('name', ONLINE)
def test_online_steps_leave_teacher_without_grad(name):
    b = built(name)
    gen = b.synthesizer.generator
    before = [p.detach().clone() for p in gen.parameters()]
    b.synthesizer.step(b.model, b.z, b.y, b.wrappers)
    assert teacher_grads(b) == []
    # the gradient did reach the generator through the frozen teacher
    assert any(not torch.equal(p0, p)
               for p0, p in zip(before, gen.parameters()))
    student_step(b)
    assert teacher_grads(b) == []


@pytest.mark.parametrize('name', POOL)
def test_pool_steps_leave_teacher_without_grad(name):
    b = built(name)
    set_iterations(b, 2)
    synthesis_round(b)
    assert teacher_grads(b) == []
    student_step(b)
    assert teacher_grads(b) == []


@pytest.mark.parametrize('name', POOL)
def test_no_host_read_per_inner_step(name):
    """A round reads device values a fixed number of times (its final
    checks), whatever its number of inner steps."""
    b = built(name)
    reads = []
    for steps in (1, 4):
        set_iterations(b, steps)
        synthesis_round(b)  # warm: first-call paths
        with count_host_reads() as counts:
            synthesis_round(b)
        reads.append(counts['n'])
    assert reads[0] == reads[1], reads


@pytest.mark.parametrize('name', ['dafl_digits.py', 'deepinv_digits.py'])
def test_one_host_read_per_update(name):
    """A generator or student step reads one value on the host: the
    non-finite guard's flag, after the backward is queued. (A recipe with
    ``student_ema`` adds mmengine's EMA, which reads its step counter.)"""
    b = built(name)
    steps = []
    if name.startswith('dafl'):  # an online generator step
        steps.append(lambda: synthesis_round(b))
    else:
        set_iterations(b, 1)
        synthesis_round(b)  # fill the pool
    steps.append(lambda: student_step(b))
    for step in steps:
        step()
        with count_host_reads() as counts:
            step()
        assert counts['n'] == 1
