"""``mmdfkd.compat.mmcv_ops``: the ``mmcv.ops`` stand-in for mmcv-lite."""
import importlib.util
import sys

import pytest
import torch
from torch import nn

import mmdfkd  # noqa: F401  (applies the fixes)
from mmdfkd.compat import mmcv_ops
from mmdfkd.compat.mmcv_ops import CompiledOpUnavailableError, point_sample

FULL_MMCV = importlib.util.find_spec('mmcv._ext') is not None
lite_only = pytest.mark.skipif(FULL_MMCV, reason='full mmcv installed')


@lite_only
def test_mmcv_ops_is_the_stand_in_and_mmseg_imports():
    import mmcv
    import mmcv.ops
    import mmseg.models  # noqa: F401  (failed before the fix)
    from mmcv.ops import point_sample as served
    assert sys.modules['mmcv.ops'] is mmcv.ops
    assert isinstance(mmcv.ops, mmcv_ops.LiteOpsModule)
    assert served is point_sample
    # mmseg's own helper module re-exports it.
    from mmseg.models.utils import point_sample as mmseg_module
    assert mmseg_module.point_sample is point_sample


def test_point_sample_matches_hand_computed_bilinear_values():
    feat = torch.tensor([[[[1., 2.], [3., 4.]]]])  # (1, 1, 2, 2)
    # align_corners=False: pixel centres sit at 0.25 and 0.75.
    points = torch.tensor([[[0.25, 0.25], [0.75, 0.25], [0.25, 0.75],
                            [0.5, 0.5], [0.5, 0.25], [0.375, 0.75]]])
    out = point_sample(feat, points)
    assert out.shape == (1, 1, 6)
    # (x, y): centre of (0,0)=1, of (0,1)=2, of (1,0)=3; middle = mean 2.5;
    # halfway between 1 and 2 = 1.5; a quarter of the way from 3 to 4 = 3.25
    expected = torch.tensor([1., 2., 3., 2.5, 1.5, 3.25])
    torch.testing.assert_close(out[0, 0], expected)
    # align_corners=True: the corners are the pixel centres.
    corners = torch.tensor([[[0., 0.], [1., 1.], [0.5, 0.], [0.5, 0.5]]])
    out = point_sample(feat, corners, align_corners=True)
    torch.testing.assert_close(out[0, 0], torch.tensor([1., 4., 1.5, 2.5]))
    # A 4-d grid of points keeps its grid shape; zero padding outside.
    grid = torch.tensor([[[[0.25, 0.25], [0.75, 0.75]],
                          [[-1.0, -1.0], [0.5, 0.5]]]])
    out = point_sample(feat, grid)
    assert out.shape == (1, 1, 2, 2)
    torch.testing.assert_close(out[0, 0],
                               torch.tensor([[1., 4.], [0., 2.5]]))


def test_point_sample_passes_gradients():
    feat = torch.randn(2, 3, 5, 5, requires_grad=True)
    out = point_sample(feat, torch.rand(2, 7, 2))
    assert out.shape == (2, 3, 7)
    out.sum().backward()
    assert feat.grad is not None and feat.grad.abs().sum() > 0


@lite_only
def test_compiled_ops_are_placeholders_that_fail_clearly():
    from mmcv.ops import DeformConv2d, SyncBatchNorm, sigmoid_focal_loss
    with pytest.raises(CompiledOpUnavailableError,
                       match=r"mmcv\.ops\.DeformConv2d needs mmcv's compiled "
                       r'ops.*install full mmcv'):
        DeformConv2d(3, 3, 3)
    with pytest.raises(CompiledOpUnavailableError,
                       match=r'mmcv\.ops\.sigmoid_focal_loss'):
        sigmoid_focal_loss(torch.zeros(2, 2), torch.zeros(2).long())
    # isinstance checks (as in mmengine's revert_sync_batchnorm) still work.
    assert not isinstance(nn.BatchNorm2d(2), SyncBatchNorm)
    # Submodules stay unimportable, so guarded imports keep their fallback.
    with pytest.raises(ImportError):
        import mmcv.ops.multi_scale_deform_attn  # noqa: F401


@lite_only
def test_mmseg_head_needing_a_compiled_op_fails_clearly():
    import mmseg.models  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    with pytest.raises(CompiledOpUnavailableError,
                       match='CrissCrossAttention'), \
            DefaultScope.overwrite_default_scope('mmseg'):
        MODELS.build(dict(type='CCHead', in_channels=8, channels=4,
                          num_classes=2))


def _deeplabv3_cfg() -> dict:
    norm = dict(type='BN', requires_grad=True)
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0],
                               std=[1, 1, 1], size=(32, 32)),
        backbone=dict(type='ResNetV1c', depth=18, num_stages=4,
                      out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
                      strides=(1, 2, 1, 1), norm_cfg=norm,
                      contract_dilation=True),
        decode_head=dict(type='ASPPHead', in_channels=512, in_index=3,
                         channels=16, dilations=(1, 12, 24, 36),
                         dropout_ratio=0.1, num_classes=3, norm_cfg=norm,
                         align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss',
                                          loss_weight=1.0)))


def test_deeplabv3_builds_and_trains_on_cpu():
    import mmseg.models  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(_deeplabv3_cfg())
    model.train()
    samples = []
    for _ in range(2):  # batch of 2: ASPP pooling BN needs more than 1
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, 32, 32)))
        sample.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32),
                                 ori_shape=(32, 32)))
        samples.append(sample)
    losses = model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    loss = losses['decode.loss_ce']
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.backbone.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 32, 32), mode='tensor')
    assert logits.shape == (1, 3, 4, 4)  # output stride 8


def test_apply_is_idempotent_and_keeps_an_imported_mmcv_ops():
    before = sys.modules.get('mmcv.ops')
    assert mmcv_ops.apply() is False
    assert sys.modules.get('mmcv.ops') is before


def test_full_mmcv_is_left_alone(run_python):
    result = run_python('''
        import sys, types
        # A full mmcv: its compiled extension is importable.
        sys.modules['mmcv._ext'] = types.ModuleType('mmcv._ext')
        ops = load_standalone('mmcv_ops')
        import mmcv
        print('RESULT:' + json.dumps(dict(
            needed=ops.needs_fix(), applied=ops.apply(),
            in_modules='mmcv.ops' in sys.modules,
            attr=hasattr(mmcv, 'ops'))))
    ''', timeout=60)
    assert result == dict(needed=False, applied=False, in_modules=False,
                          attr=False)
