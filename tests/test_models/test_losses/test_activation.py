import pytest
import torch
from torch.testing import assert_close

from mmdfkd.models.losses import ActivationLoss, DistillContext
from mmdfkd.registry import MODELS
from toy_nets import (assert_no_grads, assert_nonzero_finite_grads,
                      build_context, latents, make_generator, make_teacher)


def ctx_of(feats):
    return DistillContext(
        images=torch.zeros(1, 3, 2, 2),
        teacher_logits=torch.zeros(1, 2),
        teacher_feats=feats)


def test_hand_picked():
    # |1| + |-2| + |3| + |-4| = 10 over 4 entries -> -2.5
    feats = {'head:in': torch.tensor([[1., -2.], [3., -4.]])}
    assert_close(ActivationLoss()(ctx_of(feats)), torch.tensor(-2.5))


def test_reads_the_configured_layer():
    feats = {
        'head:in': torch.tensor([[1., -2.], [3., -4.]]),
        'layer1': torch.full((2, 3, 2, 2), -0.5),
    }
    term = ActivationLoss(layer='layer1')
    assert tuple(term.teacher_records) == ('layer1', )
    assert_close(term(ctx_of(feats)), torch.tensor(-0.5))
    assert tuple(ActivationLoss().teacher_records) == ('head:in', )


def test_loss_weight_scales():
    feats = {'head:in': torch.tensor([[1., -2.], [3., -4.]])}
    assert_close(
        ActivationLoss(loss_weight=0.1)(ctx_of(feats)), torch.tensor(-0.25))


def test_penultimate_features_of_teacher():
    """Through the FeatureRecorder, 'head:in' is the teacher's pooled
    penultimate feature: compare with -mean|f| computed directly."""
    teacher = make_teacher()
    images = make_generator()(latents(4)).detach()
    ctx = build_context(images, teacher, teacher_records=['head:in'])
    feats = teacher.features(images)
    expected = -sum(abs(v) for v in feats.flatten().tolist()) / feats.numel()
    assert_close(ActivationLoss()(ctx), torch.tensor(expected))


@pytest.mark.parametrize('layer', ['head:in', 'layer1', 'layer2.0'])
def test_gradient_reaches_generator_not_teacher(layer):
    generator, teacher = make_generator(), make_teacher()
    ctx = build_context(
        generator(latents(4)), teacher, teacher_records=[layer])
    ActivationLoss(layer=layer)(ctx).backward()
    assert_nonzero_finite_grads(generator)
    assert_no_grads(teacher)


def test_missing_record_is_a_key_error():
    with pytest.raises(KeyError):
        ActivationLoss(layer='layer1')(ctx_of({}))


def test_builds_from_registry():
    term = MODELS.build(
        dict(type='ActivationLoss', layer='layer2', loss_weight=0.1))
    assert isinstance(term, ActivationLoss)
    assert term.layer == 'layer2'
    assert term.loss_weight == 0.1
    assert not term.needs_student and not term.needs_bn_moments
