"""A short data-free run on digits: the student, which never sees a training
image, ends far above chance on the real held-out images."""
import torch
from mmengine.runner import Runner

from tests.conftest import load_cfg


def test_dfq_student_learns(trained_teacher, tmp_path):
    cfg = load_cfg('configs/dfq_digits.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = trained_teacher
    cfg.train_dataloader.batch_size = 64
    cfg.train_cfg.max_iters = 60
    cfg.train_cfg.val_interval = 1000
    cfg.param_scheduler.student[0].T_max = 60
    cfg.default_hooks.logger.interval = 20
    cfg.default_hooks.checkpoint.interval = 1000
    for key in ('synthetic_grid', 'student_export', 'collapse_monitor'):
        cfg.default_hooks.pop(key)
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    before = runner.test()['accuracy/top1']
    runner.train()
    after = runner.test()['accuracy/top1']
    assert before < 20
    assert after > 40, (before, after)
