"""The global batch of a data-free config, split over the processes where
the dataloader is built (GlobalBatchSampler): through tools/train.py and
through Runner.from_cfg alike."""
import pytest
from mmengine.config import Config

from mmdfkd.datasets import GlobalBatchSampler
from mmdfkd.datasets import global_batch_sampler as module
from tests.conftest import load_cfg


@pytest.mark.parametrize('world, per_rank', [(1, 128), (2, 64), (4, 32)])
def test_split_over_processes(monkeypatch, world, per_rank):
    monkeypatch.setattr(module, 'get_world_size', lambda: world)
    sampler = GlobalBatchSampler(range(1000), batch_size=128)
    assert sampler.batch_size == per_rank
    assert sampler.global_batch_size == 128
    first = next(iter(sampler))
    assert first == list(range(per_rank))  # the plain batching of indices


def test_indivisible_world_size_is_refused(monkeypatch):
    monkeypatch.setattr(module, 'get_world_size', lambda: 3)
    with pytest.raises(ValueError, match='batch_size=128 cannot be split '
                       'evenly over 3 processes'):
        GlobalBatchSampler(range(10), batch_size=128)


def test_runner_builds_the_per_process_batch(monkeypatch, tmp_path):
    """Runner.from_cfg of a data-free config: each process's batch is the
    global batch over the world size (2 here, as under torchrun)."""
    from mmengine.runner import Runner
    monkeypatch.setattr(module, 'get_world_size', lambda: 2)
    cfg = load_cfg('configs/dfad_digits.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = None
    loader = Runner.build_dataloader(cfg.train_dataloader)
    batch = next(iter(loader))
    assert cfg.train_dataloader.batch_size == 128
    assert batch['seed'].shape == (64, )


def test_retired_global_batch_size_is_refused():
    from mmdfkd.engine.preflight import check_retired
    with pytest.raises(ValueError, match=r'global_batch_size is a setting of '
                       r'mmdfkd 0.1 configs.*train_dataloader.batch_size'):
        check_retired(Config(dict(global_batch_size=16)))
    with pytest.raises(ValueError, match='ScheduleSwitchHook.*stages'):
        check_retired(Config(dict(custom_hooks=[
            dict(type='mmdfkd.ScheduleSwitchHook', at=3, schedule=[])])))
    check_retired(Config(dict(custom_hooks=[dict(type='EMAHook')])))
