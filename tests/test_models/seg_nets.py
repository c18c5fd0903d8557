"""Tiny mmseg DeepLabV3 teacher and student configs for tests (a ResNet-18
V1c at width 8 and a MobileNetV2 at width 0.25, both output stride 8)."""
import copy

PREPROCESSOR = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)


def _head(in_channels: int, num_classes: int) -> dict:
    return dict(
        type='ASPPHead',
        in_channels=in_channels,
        in_index=3,
        channels=8,
        dilations=(1, 2, 3, 4),
        dropout_ratio=0.0,
        num_classes=num_classes,
        norm_cfg=dict(type='BN'),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss'))


def seg_teacher(num_classes: int = 5) -> dict:
    return copy.deepcopy(
        dict(
            _scope_='mmseg',
            type='EncoderDecoder',
            data_preprocessor=PREPROCESSOR,
            backbone=dict(
                type='ResNetV1c',
                depth=18,
                stem_channels=8,
                base_channels=8,
                out_indices=(0, 1, 2, 3),
                dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1),
                norm_cfg=dict(type='BN'),
                contract_dilation=True),
            decode_head=_head(64, num_classes),
            test_cfg=dict(mode='whole')))


def seg_student(num_classes: int = 5) -> dict:
    return copy.deepcopy(
        dict(
            _scope_='mmseg',
            type='EncoderDecoder',
            data_preprocessor=PREPROCESSOR,
            backbone=dict(
                type='MobileNetV2',
                widen_factor=0.25,
                strides=(1, 2, 2, 1, 1, 1, 1),
                dilations=(1, 1, 1, 2, 2, 4, 4),
                out_indices=(1, 2, 4, 6),
                norm_cfg=dict(type='BN')),
            decode_head=_head(80, num_classes),
            test_cfg=dict(mode='whole')))


def seg_distiller(**overrides) -> dict:
    """A DDAD-like segmentation distiller on 32×32 synthesized images."""
    cfg = dict(
        type='DataFreeDistiller',
        teacher=seg_teacher(),
        student=seg_student(),
        synthesizer=dict(
            type='GeneratorSynthesizer',
            generator=dict(
                type='DCGANGenerator',
                latent_dim=8,
                img_size=32,
                base_channels=16,
                num_upsamples=2,
                min_channels=8)),
        generator_losses=dict(
            bn=dict(type='BNStatisticsLoss'),
            adv=dict(type='AdversarialL1Loss', form='neg_log1p')),
        student_losses=dict(kd=dict(type='L1LogitsLoss')),
        schedule=[('student', 2), ('generator', 1)])
    cfg.update(overrides)
    return cfg


def tiny_scenes(root: str) -> str:
    """Four 32×32 street scenes per split in CamVid's layout; returns the
    (absolute) root."""
    import os.path as osp

    from mmdfkd.datasets.street_scenes import write_street_scenes
    root = osp.abspath(str(root))
    write_street_scenes(root, 4, 4, 4, size=(32, 32), seed=0)
    return root


def random_street_teacher(path: str) -> str:
    """Weights of the street-scenes teacher config, randomly initialised
    (a stand-in for a trained teacher where only shapes matter)."""
    import os.path as osp

    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmdfkd.registry import MODELS
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(root, 'configs/teachers/deeplabv3_street_scenes.py'))
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        teacher = MODELS.build(cfg.model)
    teacher.init_weights()
    torch.save(dict(state_dict=teacher.state_dict()), str(path))
    return str(path)
