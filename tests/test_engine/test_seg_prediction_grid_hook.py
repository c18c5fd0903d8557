"""SegPredictionGridHook: synthesized images beside teacher and student
argmax maps in the dataset palette, written through the visualizer."""
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.visualization import Visualizer

from mmdfkd.engine.hooks import SegPredictionGridHook
from mmdfkd.engine.hooks.seg_prediction_grid_hook import colorize, interleave
from mmdfkd.registry import MODELS
from tests.conftest import distiller_cfg
from tests.test_models.seg_nets import seg_distiller


def test_colorize_and_interleave_by_hand():
    palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]]
    labels = torch.tensor([[[0, 2], [1, 1]]])
    colours = colorize(labels, palette)
    assert colours.shape == (1, 3, 2, 2)
    assert colours[0, :, 0, 1].tolist() == [0.0, 0.0, 1.0]
    assert colours[0, :, 1, 0].tolist() == [0.0, 1.0, 0.0]
    images = torch.full((1, 3, 2, 2), 127.5)
    out = interleave(images, colours, colours.flip(-1), 0.0, 255.0)
    assert out.shape == (3, 3, 2, 2)
    torch.testing.assert_close(out[0], torch.full((3, 2, 2), 0.5))
    torch.testing.assert_close(out[2], colours[0].flip(-1))


class FakeHub:

    def __init__(self):
        self.info = {}

    def update_info(self, key, value):
        self.info[key] = value


def fake_runner(model, tmp_path, palette):
    vis = Visualizer(
        name=f'seg_grid_{id(model)}',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    vis.dataset_meta = dict(palette=palette)
    return SimpleNamespace(
        model=model, visualizer=vis, iter=3, max_iters=4,
        message_hub=FakeHub(), log_dir=str(tmp_path))


def synthesize(model, n):
    """A fresh batch of the model's generator, its latest (the preview)."""
    latents = torch.randn(n, model.synthesizer.latent_dim)
    return model.synthesizer.student_batch(latents, None)[0]


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = MODELS.build(seg_distiller())
    m.init_weights()
    return m


def test_writes_image_teacher_student_triples(model, tmp_path):
    palette = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255],
               [255, 255, 0]]
    images = synthesize(model, 5)
    model.train()
    runner = fake_runner(model, tmp_path, palette)
    hook = SegPredictionGridHook(interval=2, max_images=4, nrow=2)
    hook.after_train_iter(runner, 3)  # iteration 4 = the last one
    path = runner.message_hub.info['seg_prediction_grid']
    assert path == hook.last_path and osp.isfile(path)
    assert path.endswith('seg_predictions_4.png')
    grid = cv2.imread(path)[..., ::-1]
    # 4 images, 2 triples a row: 2 rows of 6 tiles of 32×32 upscaled to
    # 64×64 (nearest neighbour), padding 1
    assert grid.shape == (2 * 65 + 1, 6 * 65 + 1, 3)
    # the teacher tile of image 0 holds only palette colours, exactly its
    # argmax map
    with torch.no_grad():
        logits = model.teacher(
            model.normalize(images[:1], 'teacher'), mode='tensor')
    labels = torch.nn.functional.interpolate(
        logits, size=(32, 32), mode='bilinear').argmax(1)[0]
    tile = grid[1:65, 66:130]
    expected = np.asarray(palette, dtype=np.uint8)[labels.numpy()]
    expected = expected.repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(tile, expected)
    assert model.training and model.student.training  # modes restored


def test_skips_between_intervals_and_without_images(model, tmp_path,
                                                   monkeypatch):
    runner = fake_runner(model, tmp_path, None)
    runner.iter = 0
    hook = SegPredictionGridHook(interval=2)
    synthesize(model, 2)
    hook.after_train_iter(runner, 0)  # iteration 1: not due
    assert hook.last_path is None
    # a synthesizer that has made nothing yet
    monkeypatch.setattr(model.synthesizer, 'preview',
                        lambda max_images, seed: None)
    runner.iter = 1
    hook.after_train_iter(runner, 1)
    assert hook.last_path is None
    assert not osp.isdir(osp.join(tmp_path, 'vis_data', 'vis_image'))


def test_classifier_gets_a_clear_error(teacher_cfg, student_cfg, tmp_path):
    m = MODELS.build(distiller_cfg(teacher_cfg, student_cfg))
    synthesize(m, 2)
    runner = fake_runner(m, tmp_path, None)
    with pytest.raises(TypeError, match='SyntheticImageGridHook'):
        SegPredictionGridHook(interval=1).after_train_iter(runner, 3)



def test_fallback_palette_covers_every_class(tmp_path):
    """A missing or short palette gives way to one colour per class, also
    for classes only the student predicts (a 2-process run once failed on
    rank 1 here: the palette was sized by the teacher's labels)."""
    runner = SimpleNamespace(visualizer=SimpleNamespace(dataset_meta=None))
    assert len(SegPredictionGridHook._palette(runner, 5)) == 5
    runner.visualizer.dataset_meta = dict(palette=[[0, 0, 0], [9, 9, 9]])
    assert len(SegPredictionGridHook._palette(runner, 5)) == 5
    full = [[i, i, i] for i in range(5)]
    runner.visualizer.dataset_meta = dict(palette=full)
    assert SegPredictionGridHook._palette(runner, 5) is full

    torch.manual_seed(0)
    m = MODELS.build(seg_distiller())
    m.init_weights()
    with torch.no_grad():  # the student predicts class 4 everywhere
        m.student.decode_head.conv_seg.bias[4] = 100.0
    synthesize(m, 2)
    hook = SegPredictionGridHook(interval=1)
    hook.after_train_iter(fake_runner(m, tmp_path, [[0, 0, 0]]), 3)
    assert osp.isfile(hook.last_path)
