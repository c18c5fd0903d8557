"""A hook that writes what each rank's DiskPool holds and drew
(imported by a 2-process test)."""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdfkd.registry import HOOKS


@HOOKS.register_module()
class PoolDrawsHook(Hook):
    """After training, ``<work_dir>/pool_rank<r>.json``: the rank's shard
    list and its draws by rank folder."""

    def after_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        pool = model.synthesizer.pool
        path = osp.join(runner.work_dir, f'pool_rank{get_rank()}.json')
        with open(path, 'w') as f:
            json.dump(dict(shards=pool.shards, drawn=pool.drawn), f)
