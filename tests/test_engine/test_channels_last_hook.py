"""ChannelsLastHook: the networks go NHWC, and a training step gives the
same result as in NCHW."""
import copy
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmdfkd.benchmark.cases import Built, load_method
from mmdfkd.engine.hooks import ChannelsLastHook
from tests.conftest import ROOT


def test_networks_become_channels_last_and_steps_agree():
    torch.manual_seed(0)
    b = Built(load_method(osp.join(ROOT, 'configs', 'dafl_digits.py')), 4,
              torch.device('cpu'))
    other = copy.deepcopy(b.model)
    ChannelsLastHook().before_train(SimpleNamespace(model=b.model))
    convs = [m for m in b.model.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(
        m.weight.is_contiguous(memory_format=torch.channels_last)
        for m in convs)
    # (a 1-channel kernel is both layouts at once; the others changed)
    assert sum(not m.weight.is_contiguous() for m in convs) > len(convs) / 2
    # the config's synthesizer shifts every batch at random: same draws
    with torch.no_grad():
        torch.manual_seed(1)
        x = b.model.synthesizer(b.z)
        out = b.model.teacher(x, mode='tensor')
        torch.manual_seed(1)
        ref = other.teacher(other.synthesizer(b.z), mode='tensor')
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    b.synthesizer.step(b.model, b.z, b.y, b.wrappers)


def test_refuses_a_wrapped_model():
    wrapped = SimpleNamespace(model=nn.Sequential())
    wrapped.model.module = nn.Conv2d(1, 1, 1)  # what DDP wrappers hold
    with pytest.raises(RuntimeError, match='distributed'):
        ChannelsLastHook().before_train(wrapped)
