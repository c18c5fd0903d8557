"""``mmdfkd.compat.apply_compat``: order, idempotence, ``import mmdfkd``."""
import sys

import torch

import mmdfkd
from mmdfkd import compat


def test_apply_compat_runs_every_fix_torchvision_first(monkeypatch):
    order = []
    for name in ('torchvision_ops', 'mmcv_ops', 'checkpoint', 'distributed'):
        monkeypatch.setattr(getattr(compat, name), 'apply',
                            lambda name=name: order.append(name))
    compat.apply_compat()
    assert order == ['torchvision_ops', 'mmcv_ops', 'checkpoint',
                     'distributed']


def test_apply_compat_twice_changes_nothing():
    import mmengine.dist.utils as dist_utils
    from mmengine.model import MMDistributedDataParallel

    def state():
        return (list(sys.meta_path), sys.modules.get('mmcv.ops'),
                len(torch.serialization.get_safe_globals()),
                dist_utils._init_dist_pytorch,
                MMDistributedDataParallel.__init__,
                list(compat.torchvision_ops._DEFINED))

    before = state()
    mmdfkd.apply_compat()
    mmdfkd.apply_compat()
    assert state() == before


def test_import_mmdfkd_makes_the_stack_importable(run_python):
    result = run_python('''
        import sys
        import mmdfkd
        import torchvision, mmseg.models, mmpretrain.models  # noqa: F401
        import mmcv
        from mmengine.model import MMDistributedDataParallel
        import torch
        print('RESULT:' + json.dumps(dict(
            nms=hasattr(torch.ops.torchvision, 'nms'),
            mmcv_ops=type(sys.modules['mmcv.ops']).__name__,
            history_buffer_allowed=any(
                getattr(g, '__name__', '') == 'HistoryBuffer'
                for g in torch.serialization.get_safe_globals()),
            ddp_patched=getattr(MMDistributedDataParallel.__init__,
                                '_mmdfkd_compat', False))))
    ''', timeout=120)
    assert result['nms'] is True
    assert result['history_buffer_allowed'] is True
    assert result['ddp_patched'] is True
    assert result['mmcv_ops'] in ('LiteOpsModule', 'module')
