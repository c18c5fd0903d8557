"""The one input normalisation: what each network's own data preprocessor
does to a batch, channel order included."""
import copy

import pytest
import torch
from mmengine.model import ImgDataPreprocessor
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from mmseg.models.data_preprocessor import SegDataPreProcessor

from mmdfkd.models.algorithms import InputNormalization
from mmdfkd.registry import MODELS

MEAN, STD = [120.0, 110.0, 100.0], [50.0, 60.0, 70.0]


def rgb_classifier(to_rgb: bool) -> dict:
    """A 3-channel ConvNet classifier whose preprocessor flips BGR→RGB."""
    return dict(
        type='ImageClassifier',
        _scope_='mmpretrain',
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=4,
                               mean=MEAN, std=STD, to_rgb=to_rgb),
        backbone=dict(type='mmdfkd.ConvNet', in_channels=3, widths=(4, 8),
                      strides=(1, 2), num_convs=1, norm_cfg=dict(type='BN'),
                      out_indices=(-1, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=8,
                  loss=dict(type='CrossEntropyLoss')))


@pytest.mark.parametrize('cls, cfg', [
    (ClsDataPreprocessor, dict(mean=MEAN, std=STD, to_rgb=True)),
    (ClsDataPreprocessor, dict(mean=MEAN, std=STD)),
    (SegDataPreProcessor, dict(mean=MEAN, std=STD, bgr_to_rgb=True)),
    (ImgDataPreprocessor, dict(mean=MEAN, std=STD, rgb_to_bgr=True)),
    (ClsDataPreprocessor, dict(to_rgb=True)),
])
def test_same_as_the_data_preprocessor(cls, cfg):
    """Equal to the network's preprocessor on a batch of same-sized
    pixel-space images (its channel flip, then its mean and std)."""
    pre = cls(**copy.deepcopy(cfg))
    norm = InputNormalization.from_config(dict(data_preprocessor=cfg))
    images = torch.rand(2, 3, 6, 6) * 255
    if cls is SegDataPreProcessor:
        expected = pre(dict(inputs=list(images)), False)['inputs']
    else:
        expected = pre(dict(inputs=images), False)['inputs']
    torch.testing.assert_close(norm(images), expected)
    grey = torch.rand(2, 1, 6, 6) * 255  # one channel: never flipped
    assert norm.to_network_order(grey) is grey


def test_real_data_kd_with_a_to_rgb_teacher():
    """A to_rgb teacher in real-data KD sees the batch as its own
    preprocessor makes it (RGB), not the loader's BGR order."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='KnowledgeDistiller', teacher=rgb_classifier(True),
        student=rgb_classifier(False),
        student_losses=dict(kd=dict(type='KLDivergenceLoss'))))
    model.eval()
    images = torch.rand(3, 3, 6, 6) * 255  # BGR, as LoadImageFromFile gives
    data = model.data_preprocessor(
        dict(inputs=list(images.to(torch.uint8)),
             data_samples=[DataSample().set_gt_label(0)] * 3), False)
    with torch.no_grad():
        ctx = model.context(data['inputs'], None, model.student_losses,
                            teacher_grad=False)
        own = model.teacher(model.teacher.data_preprocessor(
            dict(inputs=data['inputs']), False)['inputs'], mode='tensor')
        flipped_wrongly = model.teacher(
            (data['inputs'] - torch.tensor(MEAN).view(1, 3, 1, 1)) /
            torch.tensor(STD).view(1, 3, 1, 1), mode='tensor')
        student = model.student(model.student.data_preprocessor(
            dict(inputs=data['inputs']), False)['inputs'], mode='tensor')
    torch.testing.assert_close(ctx.teacher_logits, own)
    assert not torch.allclose(ctx.teacher_logits, flipped_wrongly)
    torch.testing.assert_close(ctx.student_logits, student)


def test_checks():
    with pytest.raises(ValueError, match='both mean and std'):
        InputNormalization(mean=[1.0])
    norm = InputNormalization.from_config(None)
    x = torch.rand(1, 3, 2, 2)
    assert norm(x) is x and norm.channels is None
    assert 'persistent' not in str(norm.state_dict())
    assert len(InputNormalization(MEAN, STD).state_dict()) == 0
