"""SyntheticImageGridHook and make_grid_image."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmdfkd.engine.hooks import SyntheticImageGridHook, make_grid_image
from mmdfkd.engine.hooks.synthetic_image_grid_hook import (CAPTION_HEIGHT,
                                                           LABEL_WIDTH,
                                                           class_grid_image,
                                                           upscale)
from mmdfkd.utils import unwrap_model


# ------------------------------------------------------------ make_grid_image
def grid_shape(n, nrow, h, w, pad):
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    return (rows * (h + pad) + pad, ncol * (w + pad) + pad, 3)


@pytest.mark.parametrize('n,nrow,h,w,pad', [
    (1, 8, 8, 8, 1),
    (3, 8, 8, 8, 1),   # fewer images than a row: one row of 3
    (8, 8, 8, 8, 1),
    (9, 8, 8, 8, 1),   # a second, partly filled row
    (16, 4, 5, 7, 2),
    (5, 2, 3, 4, 0),
])
def test_grid_shape_formula(n, nrow, h, w, pad):
    grid = make_grid_image(torch.rand(n, 1, h, w), 0, 1, nrow=nrow, pad=pad)
    assert grid.dtype == np.uint8
    assert grid.shape == grid_shape(n, nrow, h, w, pad)


def test_grid_pixels_at_known_positions():
    # Three 2x3 grey images, two per row, padding 1: 7x9 grid.
    imgs = torch.zeros(3, 1, 2, 3)
    imgs[0] = 0.0
    imgs[1] = 1.0
    imgs[2, 0, 0, 0] = 0.2  # 0.2 * 255 = 51
    imgs[2, 0, 1, 2] = 1.0
    grid = make_grid_image(imgs, 0.0, 1.0, nrow=2, pad=1)
    assert grid.shape == (7, 9, 3)
    # image 0 at rows 1-2, cols 1-3; image 1 at rows 1-2, cols 5-7
    assert (grid[1:3, 1:4] == 0).all()
    assert (grid[1:3, 5:8] == 255).all()
    # image 2 at rows 4-5, cols 1-3
    assert grid[4, 1].tolist() == [51, 51, 51]
    assert grid[5, 3].tolist() == [255, 255, 255]
    assert grid[4, 2].tolist() == [0, 0, 0]
    # the empty fourth slot (rows 4-5, cols 5-7) and all padding are white
    assert (grid[4:6, 5:8] == 255).all()
    for r in (0, 3, 6):
        assert (grid[r] == 255).all()
    for c in (0, 4, 8):
        assert (grid[:, c] == 255).all()


def test_grey_becomes_three_equal_channels():
    imgs = torch.rand(4, 1, 5, 5)
    grid = make_grid_image(imgs, 0, 1, nrow=2)
    assert grid.shape[-1] == 3
    assert (grid[..., 0] == grid[..., 1]).all()
    assert (grid[..., 1] == grid[..., 2]).all()
    expected = (imgs[0, 0] * 255).round().to(torch.uint8).numpy()
    np.testing.assert_array_equal(grid[1:6, 1:6, 0], expected)


def test_rgb_channels_keep_order():
    img = torch.zeros(1, 3, 2, 2)
    img[0, 0] = 1.0  # red
    img[0, 2, 1, 1] = 1.0  # blue at (1, 1)
    grid = make_grid_image(img, 0, 1, pad=0)
    assert grid.shape == (2, 2, 3)
    assert grid[0, 0].tolist() == [255, 0, 0]
    assert grid[1, 1].tolist() == [255, 0, 255]


def test_pixel_range_scaling_and_clamping():
    # [-1, 1] -> [0, 255]; out-of-range values clamp
    imgs = torch.tensor([-1.0, -0.6, 1.0, -5.0, 5.0]).view(1, 1, 1, 5)
    grid = make_grid_image(imgs, -1.0, 1.0, pad=0)
    assert grid[0, :, 0].tolist() == [0, 51, 255, 0, 255]


def test_grid_accepts_tensors_with_grad_and_leaves_them_unchanged():
    imgs = torch.rand(2, 1, 3, 3, requires_grad=True)
    before = imgs.detach().clone()
    make_grid_image(imgs * 2 - 1, -1, 1)
    assert torch.equal(imgs.detach(), before)


# --------------------------------------------------------------- hook in a run
def _grid_hook(runner) -> SyntheticImageGridHook:
    hooks = [h for h in runner.hooks if isinstance(h, SyntheticImageGridHook)]
    assert len(hooks) == 1
    return hooks[0]


def _local_backend_dir(runner) -> str:
    assert runner.visualizer.get_backend('LocalVisBackend') is not None
    return osp.join(runner.log_dir, 'vis_data')


def _expected_last_grid(runner) -> np.ndarray:
    model = unwrap_model(runner.model)
    hook = _grid_hook(runner)
    low, high = unwrap_model(model.synthesizer).pixel_range
    images = model.synthesizer.preview()  # the last batch
    with torch.no_grad():
        probs = model.teacher(model.normalize(images, 'teacher'),
                              mode='tensor').softmax(1)
    return class_grid_image(images, probs, low, high,
                            hook.max_images // 10, hook.tile_size,
                            [str(k) for k in range(10)])


def test_hook_writes_png_grids(dfad_run):
    runner = dfad_run
    hook = _grid_hook(runner)
    assert hook.interval == 2
    vis_dir = osp.join(_local_backend_dir(runner), 'vis_image')
    names = sorted(osp.basename(p) for p in glob.glob(osp.join(vis_dir, '*')))
    # every 2 iterations of 4, the last one included
    assert names == ['synthetic_2.png', 'synthetic_4.png']

    # one row per digit class, 8 tiles of 8×8 upscaled to 64×64, captioned
    expected_shape = (10 * (64 + CAPTION_HEIGHT + 2) + 2,
                      LABEL_WIDTH + 8 * 66 + 2, 3)
    for name in names:
        img = cv2.imread(osp.join(vis_dir, name), cv2.IMREAD_UNCHANGED)
        assert img is not None, name
        assert img.shape == expected_shape
        assert img.dtype == np.uint8

    # The last file is exactly the grid of the final synthesized batch.
    last = cv2.cvtColor(
        cv2.imread(osp.join(vis_dir, 'synthetic_4.png')), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(last, _expected_last_grid(runner))
    # ... and the hook / message hub name that file
    assert hook.last_path == osp.join(vis_dir, 'synthetic_4.png')
    assert runner.message_hub.get_info('synthetic_grid') == hook.last_path


def test_hook_writes_tensorboard_image(dfad_run):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    runner = dfad_run
    assert runner.visualizer.get_backend('TensorboardVisBackend')
    events = glob.glob(
        osp.join(runner.work_dir, '**', 'events.out.tfevents.*'),
        recursive=True)
    assert len(events) == 1, events
    acc = EventAccumulator(events[0], size_guidance={'images': 0})
    acc.Reload()
    assert 'synthetic' in acc.Tags()['images']
    images = acc.Images('synthetic')
    assert [e.step for e in images] == [2, 4]
    expected = _expected_last_grid(runner)
    for event in images:
        assert (event.height, event.width) == expected.shape[:2]
    decoded = cv2.imdecode(
        np.frombuffer(images[-1].encoded_image_string, np.uint8),
        cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(
        cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), expected)


def test_hook_needs_a_synthesizer_and_waits_for_images():
    """A model that synthesizes nothing (e.g. a real-data distiller) is
    refused when training starts, with the fix; a synthesizer that has made
    nothing yet gets no picture."""
    from types import SimpleNamespace
    from unittest import mock

    hook = SyntheticImageGridHook(interval=1)
    runner = mock.MagicMock()
    runner.iter = 0
    runner.max_iters = 10
    runner.model = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match='remove the hook'):
        hook.before_train(runner)
    runner.model = SimpleNamespace(synthesizer=SimpleNamespace(
        preview=lambda max_images, seed: None))
    hook.after_train_iter(runner, 0)
    runner.visualizer.add_image.assert_not_called()
    assert hook.last_path is None


# ----------------------------------------------------------- class rows
def test_upscale_is_nearest_neighbour():
    x = torch.arange(4.).view(1, 1, 2, 2)
    big = upscale(x, 5)  # factor 3: the smallest giving >= 5 pixels
    assert big.shape == (1, 1, 6, 6)
    assert torch.equal(big[0, 0, :3, :3], torch.zeros(3, 3))
    assert torch.equal(big[0, 0, 3:, 3:], torch.full((3, 3), 3.))
    assert torch.equal(upscale(x, 1), x)


def test_class_rows_show_coverage_and_confidence():
    """Class 1 has two images (the more confident first), class 2 none:
    its row stays blank, which is what a collapsed synthesis looks like."""
    images = torch.stack([torch.full((1, 2, 2), v) for v in (0., .5, 1.)])
    probs = torch.tensor([[0.1, 0.9, 0.0],    # class 1, 90 %
                          [0.8, 0.2, 0.0],    # class 0
                          [0.0, 0.99, 0.01]])  # class 1, 99 %
    grid = class_grid_image(images, probs, 0., 1., per_row=2, tile_size=4,
                            pad=2)
    cell_h, cell_w = 4 + CAPTION_HEIGHT + 2, 4 + 2
    assert grid.shape == (3 * cell_h + 2, LABEL_WIDTH + 2 * cell_w + 2, 3)

    def tile(row, col):
        top, left = 2 + row * cell_h, LABEL_WIDTH + 2 + col * cell_w
        return grid[top:top + 4, left:left + 4]

    assert (tile(0, 0) == 128).all()          # class 0: image 1 (0.5)
    assert (tile(0, 1) == 255).all()          # nothing more in class 0
    assert (tile(1, 0) == 255).all()          # class 1: image 2 (99 %)
    assert (tile(1, 1) == 0).all()            # then image 0 (90 %)
    assert (tile(2, 0) == 255).all() and (tile(2, 1) == 255).all()
    # captions (dark text) under the tiles of classes 0 and 1 only
    caption = slice(2 + 2 * cell_h + 4, 2 + 2 * cell_h + 4 + CAPTION_HEIGHT)
    assert (grid[caption, LABEL_WIDTH:] == 255).all()
    assert (grid[2 + 4:2 + 4 + CAPTION_HEIGHT, LABEL_WIDTH:] < 128).any()


def test_pool_grid_shows_distinct_images_of_the_whole_pool():
    """Pool methods: the tiles come from the whole pool, never twice the
    same image, one row per class of the teacher."""
    from types import SimpleNamespace

    from mmdfkd.models.algorithms import InputNormalization
    from mmdfkd.models.synthesizers import PixelSynthesizer

    class Teacher(torch.nn.Module):
        """Class = pixel value mod 4, confidently."""

        def forward(self, x, mode='tensor'):
            cls = x.flatten(1)[:, 0].long() % 4
            return torch.nn.functional.one_hot(cls, 4).float() * 5

    synthesizer = PixelSynthesizer(image_shape=(1, 2, 2),
                                   pixel_range=(0., 40.))
    synthesizer.pool.add(
        torch.arange(40.).view(40, 1, 1, 1).expand(40, 1, 2, 2),
        torch.zeros(40, dtype=torch.long))
    model = SimpleNamespace(
        teacher_forward=Teacher(), synthesizer=synthesizer,
        normalizers=dict(teacher=InputNormalization()))
    runner = SimpleNamespace(iter=3, visualizer=SimpleNamespace())
    hook = SyntheticImageGridHook(max_images=40, nrow=10, tile_size=2)
    shown = synthesizer.preview(1024, seed=runner.iter)
    assert sorted(shown[:, 0, 0, 0].tolist()) == list(range(40))
    grid = hook.draw(runner, model, shown)
    assert grid.shape == (4 * (2 + CAPTION_HEIGHT + 2) + 2,
                          LABEL_WIDTH + 10 * 4 + 2, 3)
