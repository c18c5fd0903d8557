"""KnowledgeDistiller: real-data KD with the data-free loss terms; CRD's
heads train with the student, the teacher never."""
import copy

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from mmdfkd.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from tests.conftest import load_cfg

PIPELINE = [dict(type='mmpretrain.PackInputs')]


def kd_model(teacher_cfg, student_cfg, **losses):
    return MODELS.build(
        dict(
            type='KnowledgeDistiller',
            teacher=copy.deepcopy(teacher_cfg),
            student=copy.deepcopy(student_cfg),
            student_losses=dict(kd=dict(type='KLDivergenceLoss', tau=4.),
                                **losses)))


def wrappers_of(model):
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='MultiOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                student=dict(optimizer=dict(type='SGD', lr=0.1)))))(model)


def real_batch(indices):
    dataset = DATASETS.build(
        dict(type='DigitsDataset', split='train', pipeline=PIPELINE))
    return pseudo_collate([dataset[i] for i in indices])


def test_crd_heads_train_with_the_student_not_the_teacher(
        teacher_cfg, student_cfg):
    model = kd_model(
        teacher_cfg, student_cfg,
        crd=dict(type='CRDLoss', student_channels=64, teacher_channels=128,
                 queue_size=16))
    wrappers = wrappers_of(model)
    optimised = {id(p) for group in
                 wrappers['student'].optimizer.param_groups
                 for p in group['params']}
    crd = model.student_losses.crd
    assert {id(p) for p in crd.parameters()} <= optimised
    assert {id(p) for p in model.student.parameters()} <= optimised
    assert not {id(p) for p in model.teacher.parameters()} & optimised

    teacher0 = copy.deepcopy(model.teacher.state_dict())
    heads0 = copy.deepcopy(crd.state_dict())
    student0 = copy.deepcopy(model.student.state_dict())
    model.train()
    wrappers['student'].zero_grad = lambda: None  # keep grads to inspect
    log = model.train_step(real_batch([3, 5, 7, 9]), wrappers)
    assert {'student.loss_kd', 'student.loss_crd'} <= set(log)
    for p in list(crd.parameters()) + list(model.student.parameters()):
        assert p.grad is not None and p.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher0[k]), k
    assert not torch.equal(crd.embed_student.weight,
                           heads0['embed_student.weight'])
    assert not torch.equal(crd.embed_teacher.weight,
                           heads0['embed_teacher.weight'])
    assert not torch.equal(model.student.head.fc.weight,
                           student0['head.fc.weight'])
    # the memory knows the samples by their dataset indices
    assert sorted(crd.queue_idx[:4].tolist()) == [3, 5, 7, 9]
    # the teacher stays in eval mode (its running statistics intact)
    assert not model.teacher.training


def test_plain_kd_uses_the_student_optimiser_alone(teacher_cfg,
                                                   student_cfg):
    model = kd_model(teacher_cfg, student_cfg)
    assert model.optim_targets() == dict(student=model.student)
    assert model.ddp_targets() == ['student']


def test_latent_batches_are_refused(teacher_cfg, student_cfg):
    model = kd_model(teacher_cfg, student_cfg)
    with pytest.raises(KeyError, match='real dataset'):
        model.train_step(dict(latents=torch.randn(4, 8)),
                         wrappers_of(model))


def test_kd_crd_student_learns(trained_teacher, tmp_path):
    cfg = load_cfg('configs/kd_crd_digits.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = trained_teacher
    cfg.train_cfg.max_iters = 100
    cfg.train_cfg.val_interval = 1000
    cfg.param_scheduler.student[0].T_max = 100
    cfg.default_hooks.logger.interval = 20
    cfg.default_hooks.checkpoint.interval = 1000
    cfg.custom_hooks = []
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    before = runner.test()['accuracy/top1']
    runner.train()
    after = runner.test()['accuracy/top1']
    assert before < 20
    assert after > 70, (before, after)
