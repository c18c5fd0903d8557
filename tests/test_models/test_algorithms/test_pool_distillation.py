"""The pool-based family in the distiller: synthesis rounds fill the pool,
student steps draw from it, the pool travels in checkpoints."""
import math

import pytest
import torch

from mmdfkd.registry import MODELS
from tests.conftest import distiller_cfg
from tests.test_models.test_algorithms.test_data_free_distiller import (
    changed, latent_batch, snapshot)


def pixel_cfg(teacher_cfg, student_cfg, **overrides):
    cfg = distiller_cfg(
        teacher_cfg,
        student_cfg,
        synthesizer=dict(
            type='PixelSynthesizer', image_shape=(1, 8, 8), iterations=3,
            student_batch_size=5),
        generator_losses=dict(
            bn=dict(type='BNStatisticsLoss', loss_weight=10.0),
            onehot=dict(type='OneHotLoss', target='sampled'),
            competition=dict(type='AdversarialJSLoss'),
            tv=dict(type='TotalVariationLoss', loss_weight=1e-3)),
        student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=20.0)),
        schedule=[('synthesis', 1), ('student', 2)])
    cfg.update(overrides)
    return cfg


def wrappers_for(model):
    from mmdfkd.registry import OPTIM_WRAPPER_CONSTRUCTORS
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='MultiOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                student=dict(optimizer=dict(type='SGD', lr=0.1)))))(model)


def test_rounds_fill_the_pool_and_train_the_student(teacher_cfg, student_cfg):
    model = MODELS.build(pixel_cfg(teacher_cfg, student_cfg))
    assert set(model.optim_targets()) == {'student'}
    model.train()
    before = snapshot(model.student)
    wrappers = wrappers_for(model)
    teacher_before = snapshot(model.teacher)
    log = model.train_step(latent_batch(n=8, draws=1), wrappers)
    pool = model.synthesizer.pool
    assert len(pool) == 8
    assert float(log['synthesis.pool_size']) == 8
    assert 0 <= float(log['synthesis.pool_class_balance']) <= 1
    assert {'synthesis.loss_bn', 'synthesis.loss_tv', 'student.loss_kd'
            } <= set(log)
    images, labels = pool.tensors()
    # pool images are in pixel space and labelled with the teacher's argmax
    assert images.min() >= 0 and images.max() <= 255
    with torch.no_grad():
        expected = model.teacher(
            model.normalize(images, 'teacher'), mode='tensor').argmax(1)
    torch.testing.assert_close(labels, expected)
    assert any('weight' in k for k, v in model.student.state_dict().items()
               if not torch.equal(v, before[k]))
    assert all(torch.equal(v, teacher_before[k])
               for k, v in model.teacher.state_dict().items())
    assert all(p.grad is None for p in model.teacher.parameters())
    model.train_step(latent_batch(n=8, draws=1), wrappers)
    assert len(pool) == 16


def test_student_steps_draw_from_the_pool(teacher_cfg, student_cfg):
    model = MODELS.build(pixel_cfg(teacher_cfg, student_cfg))
    model.train()
    wrappers = wrappers_for(model)
    model.train_step(latent_batch(n=8, draws=1), wrappers)
    seen = []
    model.student.register_forward_pre_hook(
        lambda m, args, kwargs: seen.append(args[0].shape[0]),
        with_kwargs=True)
    model.student_step(torch.zeros(8, 1), None, wrappers['student'])
    assert seen == [5]  # student_batch_size, drawn from the pool


def test_empty_pool_and_wrong_phases(teacher_cfg, student_cfg):
    model = MODELS.build(
        pixel_cfg(teacher_cfg, student_cfg, schedule=[('student', 1)]))
    with pytest.raises(RuntimeError, match='pool is empty'):
        model.train_step(latent_batch(n=4, draws=1), wrappers_for(model))
    with pytest.raises(ValueError, match="'generator' does not fit"):
        MODELS.build(
            pixel_cfg(teacher_cfg, student_cfg,
                      schedule=[('generator', 1)]))
    with pytest.raises(ValueError, match="'synthesis' does not fit"):
        MODELS.build(
            distiller_cfg(teacher_cfg, student_cfg,
                          schedule=[('synthesis', 1)]))
    # 0.1's distiller arguments of the pool: moved, and the error says so
    with pytest.raises(TypeError, match=r"\['pool'\]: since mmdfkd 0.2 "
                       'these are arguments of the pool synthesizer'):
        MODELS.build(pixel_cfg(teacher_cfg, student_cfg,
                               pool=dict(max_size=4)))


def test_pool_travels_in_the_state_dict(teacher_cfg, student_cfg, tmp_path):
    model = MODELS.build(pixel_cfg(teacher_cfg, student_cfg))
    model.train()
    model.train_step(latent_batch(n=8, draws=1), wrappers_for(model))
    path = tmp_path / 'state.pth'
    torch.save(model.state_dict(), path)
    fresh = MODELS.build(pixel_cfg(teacher_cfg, student_cfg))
    fresh.load_state_dict(torch.load(path, weights_only=True))
    assert len(fresh.synthesizer.pool) == 8
    for a, b in zip(model.synthesizer.pool.tensors(),
                    fresh.synthesizer.pool.tensors()):
        torch.testing.assert_close(a, b)


def test_batch_diversity_by_hand():
    from mmdfkd.models.synthesizers import batch_diversity
    # two images, orthogonal unit logits: distance √2 for each ordered pair
    logits = torch.tensor([[5.0, 0.0], [0.0, 5.0]])
    out = batch_diversity(logits)
    torch.testing.assert_close(out['synthesis.diversity'],
                               torch.tensor(2**0.5))
    torch.testing.assert_close(out['synthesis.class_balance'],
                               torch.tensor(1.0))
    collapsed = batch_diversity(torch.tensor([[1.0, 0.0]] * 4))
    assert float(collapsed['synthesis.diversity']) == 0
    assert float(collapsed['synthesis.class_balance']) == 0


def test_per_pixel_rows_and_pool_balance_by_hand():
    from mmdfkd.models.synthesizers import batch_diversity, class_balance
    # two 1×2 "images" of per-pixel rows: image 0 all class 0, image 1 one
    # pixel of each class; the per-image mean logits are what is compared
    rows = torch.tensor([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    out = batch_diversity(rows, rows_per_image=2)
    feats = torch.nn.functional.normalize(
        torch.tensor([[4.0, 0.0], [2.0, 2.0]]), dim=1)
    torch.testing.assert_close(out['synthesis.diversity'],
                               (feats[0] - feats[1]).norm())
    p = torch.tensor([0.75, 0.25])  # 3 of 4 pixels in class 0
    torch.testing.assert_close(out['synthesis.class_balance'],
                               -(p * p.log()).sum() / math.log(2))
    # 3 classes, counts 2 / 2 / 0: ln 2 / ln 3
    torch.testing.assert_close(class_balance(torch.tensor([2, 2, 0])),
                               torch.tensor(math.log(2) / math.log(3)))


def test_pool_class_counts_follow_evictions():
    from mmdfkd.models.synthesizers import SyntheticPool
    pool = SyntheticPool(max_size=4)
    assert pool.class_counts(3).tolist() == [0, 0, 0]
    pool.add(torch.zeros(3, 1, 2, 2), torch.tensor([0, 0, 1]))
    assert pool.class_counts(3).tolist() == [2, 1, 0]
    pool.add(torch.zeros(2, 1, 2, 2), torch.tensor([2, 2]))  # evicts a 0
    assert pool.class_counts(3).tolist() == [1, 1, 2]


def test_warmup_rounds_only_synthesize(teacher_cfg, student_cfg):
    model = MODELS.build(
        pixel_cfg(teacher_cfg, student_cfg, warmup_rounds=2))
    model.train()
    wrappers = wrappers_for(model)
    logs = [
        model.train_step(latent_batch(n=4, draws=1), wrappers)
        for _ in range(3)
    ]
    assert not any(k.startswith('student') for k in logs[0])
    assert not any(k.startswith('student') for k in logs[1])
    assert 'student.loss' in logs[2]
    assert int(model.rounds) == 3 and len(model.synthesizer.pool) == 12
    assert 'rounds' in model.state_dict()


GENERATOR = dict(type='ConvGenerator', latent_dim=16, img_size=8,
                 out_channels=1, base_channels=8)
VIEWS = dict(type='DifferentiableViews',
             transforms=[dict(type='RandomCrop', size=(8, 8), padding=1)])
POOL_SYNTHESIZERS = {
    'deepinversion': dict(type='PixelSynthesizer', image_shape=(1, 8, 8),
                          iterations=3),
    'cmi': dict(type='ContrastiveSynthesizer', generator=GENERATOR,
                global_views=VIEWS, local_views=VIEWS, iterations=3,
                feature_dim=8, hidden_dim=8, bank_size=64, num_negatives=8),
    'fast': dict(type='MetaSynthesizer', generator=GENERATOR, inner_steps=3,
                 views=VIEWS),
}


def pool_cfg(teacher_cfg, student_cfg, synthesizer, **overrides):
    return pixel_cfg(
        teacher_cfg, student_cfg, synthesizer=synthesizer,
        generator_losses=dict(
            bn=dict(type='BNStatisticsLoss'),
            onehot=dict(type='OneHotLoss', target='sampled'),
            adv=dict(type='MaskedAdversarialKLLoss'),
            competition=dict(type='AdversarialJSLoss')),
        **overrides)


def student_bn_modes(model):
    """Records the train/eval flag of the student's BatchNorm layers at
    each of their forwards."""
    seen = []
    for m in model.student.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.register_forward_pre_hook(
                lambda mod, args: seen.append(mod.training))
    return seen


@pytest.mark.parametrize('name', sorted(POOL_SYNTHESIZERS))
def test_synthesis_leaves_the_student_untouched(teacher_cfg, student_cfg,
                                                name):
    """The student runs in eval mode while a batch is synthesized: its
    BatchNorm statistics are bit-identical after the round and it is back
    in train mode."""
    torch.manual_seed(0)
    model = MODELS.build(
        pool_cfg(teacher_cfg, student_cfg, POOL_SYNTHESIZERS[name]))
    model.train()
    before = snapshot(model.student)
    seen = student_bn_modes(model)
    batch = latent_batch(n=6, draws=1)
    model.synthesizer.step(model, batch['latents'][:, 0],
                           batch['labels'][:, 0])
    assert seen and not any(seen)  # the adversarial terms ran it, in eval
    after = model.student.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())
    assert model.student.training
    assert all(m.training for m in model.student.modules())


def test_online_generator_step_keeps_the_student_in_train_mode(
        teacher_cfg, student_cfg):
    """DFAD's generator step runs the student as it is (train mode), as
    in DFAD: its BatchNorm statistics follow the generated batches."""
    torch.manual_seed(0)
    model = MODELS.build(distiller_cfg(teacher_cfg, student_cfg))
    model.train()
    before = snapshot(model.student)
    seen = student_bn_modes(model)
    batch = latent_batch(n=6, draws=1)
    model.synthesizer.step(model, batch['latents'][:, 0],
                           batch['labels'][:, 0], wrappers_for_online(model))
    assert seen and all(seen)
    assert any('running_mean' in k for k in changed(before, model.student))


def wrappers_for_online(model):
    from mmdfkd.registry import OPTIM_WRAPPER_CONSTRUCTORS
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='MultiOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
                student=dict(optimizer=dict(type='SGD', lr=0.1)))))(model)


@pytest.mark.parametrize('name', ['cmi', 'fast'])
def test_warm_up_rounds_synthesize_without_the_student(
        teacher_cfg, student_cfg, name):
    """Fast DFKD's warm-up: only synthesis, and without the terms that
    read the student; they join once the warm-up is over."""
    model = MODELS.build(
        pool_cfg(teacher_cfg, student_cfg, POOL_SYNTHESIZERS[name],
                 warmup_rounds=1))
    model.train()
    wrappers = wrappers_for(model)
    calls = []
    model.student.register_forward_pre_hook(lambda m, a: calls.append(1))
    log = model.train_step(latent_batch(n=6, draws=1), wrappers)
    assert calls == []  # neither adversarial terms nor student steps
    assert 'synthesis.loss_bn' in log and 'synthesis.loss_adv' not in log
    assert not any(k.startswith('student.') for k in log)
    log = model.train_step(latent_batch(n=6, draws=1), wrappers)
    assert {'synthesis.loss_adv', 'synthesis.loss_competition',
            'student.loss_kd'} <= set(log)
