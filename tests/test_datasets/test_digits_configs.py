"""The digits configs load, combine and build (no training)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdfkd.models.backbones import ConvNet
from mmdfkd.registry import MODELS

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')


def _cfg(rel):
    return Config.fromfile(osp.join(CONFIGS, rel))


def test_teacher_config_builds_and_runs():
    from mmengine.runner import Runner
    cfg = _cfg('teachers/digits_convnet.py')
    assert cfg.default_scope == 'mmdfkd'
    assert cfg.model.backbone.widths == (32, 64, 128)
    assert cfg.train_dataloader.dataset.split == 'train'
    assert cfg.val_dataloader.dataset.split == 'val'
    assert cfg.test_dataloader.dataset.split == 'test'
    assert cfg.default_hooks.checkpoint.interval == -1
    assert cfg.default_hooks.checkpoint.save_last
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        loader = Runner.build_dataloader(cfg.test_dataloader)
        model = MODELS.build(cfg.model)
        batch = next(iter(loader))
        model.eval()
        with torch.no_grad():
            preds = model.val_step(batch)
        from mmengine.evaluator import Evaluator
        evaluator = Evaluator(cfg.test_evaluator)
        evaluator.dataset_meta = loader.dataset.metainfo
        evaluator.process(preds, batch)
        metrics = evaluator.evaluate(len(preds))
    assert isinstance(model.backbone, ConvNet)
    assert len(preds) == cfg.test_dataloader.batch_size
    assert preds[0].pred_score.shape == (10, )
    assert 'accuracy/top1' in metrics


def test_teacher_and_student_bases_combine(tmp_path):
    # a distillation config can take both model fragments as bases
    models = osp.abspath(osp.join(CONFIGS, '_base_', 'models'))
    path = tmp_path / 'combined.py'
    path.write_text(
        f"_base_ = [{osp.join(models, 'digits_teacher.py')!r}, "
        f"{osp.join(models, 'digits_student.py')!r}]\n"
        'model = dict(teacher=_base_.teacher, student=_base_.student)\n')
    cfg = Config.fromfile(str(path))
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        teacher = MODELS.build(cfg.model.teacher)
        student = MODELS.build(cfg.model.student)
    x = torch.randn(2, 1, 8, 8)
    assert teacher(x, mode='tensor').shape == (2, 10)
    assert student(x, mode='tensor').shape == (2, 10)
    n_t = sum(p.numel() for p in teacher.parameters())
    n_s = sum(p.numel() for p in student.parameters())
    assert n_s < n_t / 3


def test_teacher_without_batchnorm():
    cfg = _cfg('_base_/models/digits_teacher.py')
    cfg.teacher.backbone.norm_cfg = None
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        teacher = MODELS.build(cfg.teacher)
    assert not any(
        isinstance(m, torch.nn.modules.batchnorm._NormBase)
        for m in teacher.modules())
