from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmdfkd.engine.hooks import GeneratorResetHook


def fake_runner(iteration):
    generator = nn.Sequential()
    generator.add_module('project', nn.Linear(4, 4))
    generator.add_module('body', nn.Linear(4, 4))
    model = SimpleNamespace(synthesizer=SimpleNamespace(generator=generator))
    return SimpleNamespace(iter=iteration, model=model), generator


@pytest.mark.parametrize('iteration, resets', [(0, False), (3, False),
                                               (10, True), (20, True)])
def test_resets_named_layers_on_interval(iteration, resets):
    runner, gen = fake_runner(iteration)
    for p in gen.parameters():
        torch.nn.init.constant_(p, 7.0)
    GeneratorResetHook(['project'], interval=10).before_train_iter(runner, 0)
    assert (gen.project.weight != 7).any() == resets
    assert (gen.body.weight == 7).all()  # other layers untouched


def test_bad_arguments():
    with pytest.raises(ValueError):
        GeneratorResetHook([], interval=10)
    with pytest.raises(ValueError):
        GeneratorResetHook(['project'], interval=0)
