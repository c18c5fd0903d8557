"""MultiOptimWrapperConstructor: one optimiser wrapper per trained network."""
import pytest
from mmengine.optim import OptimWrapper, OptimWrapperDict, \
    build_optim_wrapper

from mmdfkd.engine.optimizers import MultiOptimWrapperConstructor
from mmdfkd.registry import MODELS
from tests.conftest import distiller_cfg


@pytest.fixture
def model(teacher_cfg, student_cfg):
    return MODELS.build(distiller_cfg(teacher_cfg, student_cfg))


def cfgs(**student_extra):
    return dict(
        generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
        student=dict(
            optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4),
            **student_extra))


def params_of(wrapper):
    return {
        id(p)
        for g in wrapper.optimizer.param_groups for p in g['params']
    }


def test_one_wrapper_per_network(model):
    wrappers = MultiOptimWrapperConstructor(cfgs())(model)
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'generator', 'student'}
    for w in wrappers.values():
        assert type(w) is OptimWrapper
    assert params_of(wrappers['generator']) == {
        id(p) for p in model.synthesizer.generator.parameters()
    }
    assert params_of(wrappers['student']) == {
        id(p) for p in model.student.parameters()
    }
    # the frozen teacher is in no optimiser
    teacher = {id(p) for p in model.teacher.parameters()}
    assert not teacher & (params_of(wrappers['generator'])
                          | params_of(wrappers['student']))


def test_paramwise_cfg_per_network(model):
    wrappers = MultiOptimWrapperConstructor(
        cfgs(paramwise_cfg=dict(norm_decay_mult=0.0)))(model)
    decays = {g['weight_decay'] for g in
              wrappers['student'].optimizer.param_groups}
    assert decays == {0.0, 1e-4}


def test_calling_twice_builds_the_same(model):
    """The constructor keeps its configs: a second call (e.g. a rebuilt
    optimiser) applies the per-network paramwise_cfg again."""
    constructor = MultiOptimWrapperConstructor(
        cfgs(paramwise_cfg=dict(norm_decay_mult=0.0)))
    first = constructor(model)
    second = constructor(model)
    for key in ('generator', 'student'):
        a = [(len(g['params']), g['weight_decay'])
             for g in first[key].optimizer.param_groups]
        b = [(len(g['params']), g['weight_decay'])
             for g in second[key].optimizer.param_groups]
        assert a == b, key


def test_missing_or_unknown_keys(model):
    with pytest.raises(KeyError, match='missing'):
        MultiOptimWrapperConstructor(
            dict(student=cfgs()['student']))(model)
    with pytest.raises(KeyError, match="unknown \\['teacher'\\]"):
        MultiOptimWrapperConstructor(
            dict(cfgs(), teacher=dict(optimizer=dict(type='SGD',
                                                     lr=0.1))))(model)


def test_top_level_paramwise_cfg_refused():
    with pytest.raises(ValueError, match='paramwise_cfg'):
        MultiOptimWrapperConstructor(cfgs(), paramwise_cfg=dict())


def test_built_through_mmengine(model):
    wrappers = build_optim_wrapper(
        model, dict(constructor='MultiOptimWrapperConstructor', **cfgs()))
    assert set(wrappers.keys()) == {'generator', 'student'}
    assert wrappers['student'].optimizer.defaults['lr'] == 0.1
