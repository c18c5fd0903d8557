import pytest
from mmengine.config import Config

from mmdfkd.engine import apply_global_batch


def make_cfg(**kwargs):
    return Config(dict(train_dataloader=dict(batch_size=1), **kwargs))


@pytest.mark.parametrize('world, per_rank', [(1, 128), (2, 64), (4, 32)])
def test_split_over_processes(world, per_rank):
    cfg = make_cfg(global_batch_size=128)
    apply_global_batch(cfg, world_size=world)
    assert cfg.train_dataloader.batch_size == per_rank


def test_world_size_from_environment(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '2')
    cfg = make_cfg(global_batch_size=16)
    apply_global_batch(cfg)
    assert cfg.train_dataloader.batch_size == 8


def test_indivisible_world_size_is_refused():
    cfg = make_cfg(global_batch_size=128)
    with pytest.raises(ValueError, match='128 cannot be split evenly over 3'):
        apply_global_batch(cfg, world_size=3)


def test_configs_without_global_batch_are_untouched():
    cfg = make_cfg()
    apply_global_batch(cfg, world_size=2)
    assert cfg.train_dataloader.batch_size == 1
