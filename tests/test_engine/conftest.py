"""A short DFAD digits run shared by the engine tests (grid hook, export).

Four rounds of 16 latents, a synthetic grid every 2 iterations, local and
TensorBoard visualizer backends, validation only at the end.
"""
import pytest
import torch

from tests.conftest import load_cfg

try:  # TensorboardVisBackend needs the tensorboard package
    import tensorboard  # noqa: F401
    HAS_TENSORBOARD = True
except ImportError:
    HAS_TENSORBOARD = False

GRID_INTERVAL = 2
MAX_ITERS = 4
BATCH = 16


@pytest.fixture(scope='session')
def dfad_run(trained_teacher, tmp_path_factory):
    """The finished runner of the short run (its work dir is in tmp)."""
    from mmengine.runner import Runner
    cfg = load_cfg('configs/dfad_digits.py')
    cfg.work_dir = str(tmp_path_factory.mktemp('dfad_run'))
    cfg.merge_from_dict({
        'model.teacher_ckpt': trained_teacher,
        'train_cfg.max_iters': MAX_ITERS,
        'train_cfg.val_interval': 10000,
        'train_dataloader.batch_size': BATCH,
        'default_hooks.logger.interval': 1,
    })
    assert cfg.default_hooks.synthetic_grid.type == 'SyntheticImageGridHook'
    cfg.default_hooks.synthetic_grid.interval = GRID_INTERVAL
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    if HAS_TENSORBOARD:
        cfg.visualizer.vis_backends.append(
            dict(type='TensorboardVisBackend'))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets; avoids oversubscribed cores
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return runner
