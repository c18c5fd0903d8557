"""Small synthetic street scenes written in CamVid's SegNet layout.

The scenes are the default segmentation data of mmdfkd: no download, a
few seconds to write, yet not solvable by a colour lookup. Every class
has a colour range that overlaps another one's (grey sky, grey road,
grey pavement, grey poles and buildings, dark cars and dark trees), so
a model has to use texture (windows, lane marks, paving joints, leaf
blotches, fence slats) and layout (sky on top, road in the middle,
people on the pavement). Each image gets its own brightness and
contrast, pixel noise and a slight blur.

Labels follow :data:`~mmdfkd.datasets.camvid.CAMVID_CLASSES`, with void
(11) for unlabelled clutter, so :class:`~mmdfkd.datasets.CamVidDataset`
reads the result.
"""
import os
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np

from .camvid import CAMVID_CLASSES, CAMVID_VOID

(SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN,
 BICYCLIST) = range(len(CAMVID_CLASSES))

#: Splits written and the offset each adds to the per-image seed, so a
#: split's images do not depend on how many images the others have.
SPLIT_IDS = dict(train=0, val=1, test=2)


class _Canvas:
    """An RGB float image and its label map, painted back to front."""

    def __init__(self, h: int, w: int, rng: np.random.Generator):
        self.h, self.w, self.rng = h, w, rng
        self.img = np.zeros((h, w, 3), np.float32)
        self.label = np.full((h, w), CAMVID_VOID, np.uint8)

    def paint(self, mask: np.ndarray, cls: int, tex: np.ndarray) -> None:
        """Give the pixels of ``mask`` class ``cls`` and colours ``tex``
        (an ``(h, w, 3)`` field or one colour)."""
        mask = mask.astype(bool)
        self.label[mask] = cls
        tex = np.broadcast_to(np.asarray(tex, np.float32),
                              self.img.shape)
        self.img[mask] = tex[mask]

    def blank(self) -> np.ndarray:
        return np.zeros((self.h, self.w), np.uint8)

    def blotches(self, cells: int, amp: float) -> np.ndarray:
        """Low-frequency noise of amplitude ``amp``, ``(h, w, 1)``."""
        small = self.rng.normal(0, amp, (cells, cells)).astype(np.float32)
        big = cv2.resize(small, (self.w, self.h),
                         interpolation=cv2.INTER_CUBIC)
        return big[..., None]

    def colour(self, base, jitter: float) -> np.ndarray:
        """``base`` RGB plus uniform per-channel jitter."""
        return np.asarray(base, np.float32) + self.rng.uniform(
            -jitter, jitter, 3).astype(np.float32)


def _sky(c: _Canvas, horizon: int) -> None:
    # blue or overcast grey, lighter towards the horizon
    grey = c.rng.uniform(0, 1)
    top = (1 - grey) * np.array([90, 140, 220]) + grey * np.array(
        [150, 150, 155])
    top = c.colour(top, 15)
    rows = np.linspace(0, 1, c.h, dtype=np.float32)[:, None, None]
    tex = top + rows * 60 * (c.h / max(horizon, 1))
    c.paint(np.ones((c.h, c.w)), SKY, tex + c.blotches(3, 4))


def _buildings(c: _Canvas, horizon: int) -> None:
    x = int(c.rng.integers(-3, 2))
    while x < c.w:
        bw = int(c.rng.integers(c.w // 6, c.w // 2))
        if c.rng.uniform() < 0.2:  # a gap showing the sky
            x += bw // 2
            continue
        top = int(c.rng.uniform(0.02, 0.8) * horizon)
        base = [(150, 80, 60), (190, 170, 140), (130, 130, 135),
                (170, 150, 120)][int(c.rng.integers(4))]
        wall = c.colour(base, 25)
        tex = np.broadcast_to(wall, (c.h, c.w, 3)).copy()
        tex += c.blotches(6, 6)
        # a grid of windows, dark glass or lit
        step_y = int(c.rng.integers(4, 8))
        step_x = int(c.rng.integers(4, 8))
        glass = c.colour((40, 50, 70) if c.rng.uniform() < 0.7 else
                         (200, 190, 120), 15)
        ys = np.arange(c.h)[:, None]
        xs = np.arange(c.w)[None, :]
        windows = ((ys - top) % step_y < step_y // 2) & (
            (xs - x) % step_x < step_x // 2) & (ys > top + 1)
        tex[windows] = glass
        mask = c.blank()
        mask[top:horizon + 2, max(x, 0):x + bw] = 1
        c.paint(mask, BUILDING, tex)
        x += bw


def _ground(c: _Canvas, horizon: int, vx: int) -> Tuple[int, int]:
    """Pavement below the horizon, then a perspective road over it with
    dashed lane marks; returns the road's bottom-left / right x."""
    h, w = c.h, c.w
    pave = c.colour((150, 145, 135), 25)
    tex = pave + c.blotches(8, 6)
    ys = np.arange(h)[:, None]
    xs = np.arange(w)[None, :]
    joint = int(c.rng.integers(3, 6))
    joints = ((ys % joint == 0) | (xs % joint == 0))[..., None]
    tex = np.where(joints, tex - 35, tex)
    mask = c.blank()
    mask[horizon:] = 1
    c.paint(mask, PAVEMENT, tex)

    half = c.rng.uniform(0.25, 0.4) * w
    left, right = int(vx - half), int(vx + half)
    road = c.colour((95, 95, 100), 20)
    tex = road + c.blotches(10, 4)
    mask = c.blank()
    poly = np.array([[vx - 1, horizon], [vx + 1, horizon], [right, h - 1],
                     [left, h - 1]], np.int32)
    cv2.fillPoly(mask, [poly], 1)
    # dashed lane mark along the centre line, still "Road" in CamVid
    marks = c.blank()
    dash = max(2, (h - horizon) // 6)
    for y0 in range(horizon + dash // 2, h, 2 * dash):
        y1 = min(y0 + dash, h - 1)
        t0 = (y0 - horizon) / max(h - horizon, 1)
        t1 = (y1 - horizon) / max(h - horizon, 1)
        cx0 = vx + t0 * ((left + right) / 2 - vx)
        cx1 = vx + t1 * ((left + right) / 2 - vx)
        cv2.line(marks, (int(cx0), y0), (int(cx1), y1), 1,
                 max(1, int(t1 * w / 40)))
    tex = np.where(marks[..., None] > 0, c.colour((225, 225, 215), 10),
                   tex)
    c.paint(mask, ROAD, tex)
    return left, right


def _road_x(horizon: int, vx: int, left: int, right: int, y: int,
            h: int) -> Tuple[float, float]:
    t = (y - horizon) / max(h - 1 - horizon, 1)
    return vx + t * (left - vx), vx + t * (right - vx)


def _fence(c: _Canvas, horizon: int, vx: int, left: int,
           right: int) -> None:
    side = int(c.rng.choice([-1, 1]))
    mask = c.blank()
    depth = c.rng.uniform(0.3, 0.7) * (c.h - horizon)
    y1 = int(horizon + depth)
    x_at = _road_x(horizon, vx, left, right, y1, c.h)[int(side > 0)]
    edge = x_at + side * 2
    height = max(3, int(depth * 0.5))
    far = vx + side * 2
    poly = np.array([[far, horizon - 1], [edge, y1 - height], [edge, y1],
                     [far, horizon + 1]], np.int32)
    cv2.fillPoly(mask, [poly], 1)
    wood = c.colour((120, 90, 60) if c.rng.uniform() < 0.6 else
                    (150, 150, 150), 20)
    xs = np.arange(c.w)[None, :, None]
    tex = np.where(xs % 3 == 0, wood - 45, wood) + c.blotches(6, 5)
    c.paint(mask, FENCE, tex)


def _tree(c: _Canvas, horizon: int) -> None:
    cx = int(c.rng.uniform(0, c.w))
    ground = int(horizon + c.rng.uniform(0.05, 0.5) * (c.h - horizon))
    r = max(3, int(c.rng.uniform(0.08, 0.2) * c.w))
    crown_y = max(r // 2, ground - int(r * c.rng.uniform(1.3, 2.2)))
    mask = c.blank()
    cv2.rectangle(mask, (cx - max(1, r // 6), crown_y), (cx + max(
        1, r // 6), ground), 1, -1)
    trunk = mask.copy()
    cv2.ellipse(mask, (cx, crown_y), (r, int(r * 0.9)), 0, 0, 360, 1, -1)
    leaf = c.colour((60, 110, 40), 25)
    tex = leaf + c.blotches(max(4, c.w // 4), 28)
    tex = np.where(trunk[..., None] > 0, c.colour((90, 65, 45), 10), tex)
    c.paint(mask, TREE, tex)


def _pole(c: _Canvas, horizon: int) -> None:
    x = int(c.rng.uniform(0, c.w))
    ground = int(horizon + c.rng.uniform(0.1, 0.6) * (c.h - horizon))
    top = int(max(0, horizon - c.rng.uniform(0.3, 0.8) * horizon))
    width = max(1, int(round(c.w / 64 * c.rng.uniform(1, 2))))
    mask = c.blank()
    mask[top:ground, x:x + width] = 1
    metal = c.colour((140, 140, 130), 25)
    c.paint(mask, POLE, metal + c.blotches(4, 8))
    if c.rng.uniform() < 0.7:
        size = max(3, int(c.w * c.rng.uniform(0.05, 0.09)))
        y = top + int(c.rng.integers(0, max(1, (ground - top) // 3)))
        sign = c.blank()
        if c.rng.uniform() < 0.5:
            cv2.circle(sign, (x, y + size // 2), size // 2 + 1, 1, -1)
        else:
            cv2.rectangle(sign, (x - size // 2, y),
                          (x + size // 2, y + size), 1, -1)
        face = [(200, 40, 40), (40, 80, 190), (230, 200, 40),
                (230, 230, 230)][int(c.rng.integers(4))]
        inner = cv2.erode(sign, np.ones((3, 3), np.uint8))
        tex = np.where(inner[..., None] > 0, c.colour(face, 20),
                       c.colour((240, 240, 240), 10))
        c.paint(sign, SIGN, tex)


def _car(c: _Canvas, y: int, cx: float, scale: float) -> None:
    w = max(5, int(c.w * 0.4 * scale))
    h = max(3, int(w * 0.55))
    x0, y0 = int(cx - w / 2), y - h
    mask = c.blank()
    cv2.rectangle(mask, (x0, y0 + h // 3), (x0 + w, y), 1, -1)
    cv2.rectangle(mask, (x0 + w // 5, y0), (x0 + 4 * w // 5, y0 + h // 3),
                  1, -1)
    body = c.colour([(180, 30, 30), (30, 60, 160), (220, 220, 220),
                     (40, 40, 45), (200, 180, 40)][int(c.rng.integers(5))],
                    25)
    tex = np.broadcast_to(body, (c.h, c.w, 3)).copy()
    glass = c.blank()
    cv2.rectangle(glass, (x0 + w // 5 + 1, y0 + 1),
                  (x0 + 4 * w // 5 - 1, y0 + h // 3), 1, -1)
    tex[glass > 0] = c.colour((50, 60, 80), 10)
    wheels = c.blank()
    rad = max(1, h // 5)
    for wx in (x0 + w // 5, x0 + 4 * w // 5):
        cv2.circle(wheels, (wx, y - rad // 2), rad, 1, -1)
    tex[wheels > 0] = (20, 20, 20)
    c.paint(mask | wheels, CAR, tex + c.blotches(4, 5))


def _person(c: _Canvas, y: int, cx: float, scale: float,
            cls: int) -> None:
    h = max(6, int(c.h * 0.45 * scale))
    w = max(2, h // 4)
    x = int(cx)
    mask = c.blank()
    body_top = y - h + h // 5
    legs = c.blank()
    cv2.rectangle(legs, (x - w // 2, y - h // 2), (x + w // 2, y), 1, -1)
    cv2.ellipse(mask, (x, (body_top + y - h // 2) // 2),
                (w // 2 + 1, max(1, (y - h // 2 - body_top) // 2 + 1)), 0,
                0, 360, 1, -1)
    head = c.blank()
    cv2.circle(head, (x, y - h + h // 10), max(1, h // 10), 1, -1)
    cloth = c.colour(c.rng.uniform(30, 220, 3), 10)
    tex = np.broadcast_to(cloth, (c.h, c.w, 3)).copy()
    tex[legs > 0] = c.colour((50, 50, 70), 15)
    tex[head > 0] = c.colour((200, 160, 130), 20)
    mask = mask | legs | head
    if cls == BICYCLIST:
        bike = c.blank()
        rad = max(2, h // 4)
        for wx in (x - rad - 1, x + rad + 1):
            cv2.circle(bike, (wx, y - rad), rad, 1, 1)
        cv2.line(bike, (x - rad - 1, y - rad), (x + rad + 1, y - rad), 1, 1)
        tex[bike > 0] = c.colour((30, 30, 30), 10)
        mask = mask | bike
    c.paint(mask, cls, tex + c.blotches(4, 5))


def _clutter(c: _Canvas) -> None:
    """Unlabelled things (void): random blobs of random colour."""
    mask = c.blank()
    pts = c.rng.uniform(0, 1, (5, 2)) * (c.w / 6) + c.rng.uniform(
        0, 1, 2) * [c.w, c.h]
    cv2.fillPoly(mask, [cv2.convexHull(pts.astype(np.int32))], 1)
    c.paint(mask, CAMVID_VOID,
            c.colour(c.rng.uniform(30, 220, 3), 0) + c.blotches(4, 20))


def render_scene(size: Tuple[int, int],
                 rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one street scene.

    Args:
        size (tuple[int, int]): ``(height, width)``, each at least 32.
        rng (np.random.Generator): The source of all randomness.

    Returns:
        tuple[np.ndarray, np.ndarray]: An ``(h, w, 3)`` uint8 RGB image
        and an ``(h, w)`` uint8 label map (0..10, 11 = void).
    """
    h, w = size
    c = _Canvas(h, w, rng)
    horizon = int(rng.uniform(0.35, 0.55) * h)
    vx = int(rng.uniform(0.3, 0.7) * w)
    _sky(c, horizon)
    _buildings(c, horizon)
    left, right = _ground(c, horizon, vx)
    if rng.uniform() < 0.6:
        _fence(c, horizon, vx, left, right)
    for _ in range(int(rng.integers(0, 3))):
        _tree(c, horizon)
    for _ in range(int(rng.integers(0, 4))):
        _pole(c, horizon)
    # road users and pedestrians, far ones first
    actors = []
    for cls, count in ((CAR, rng.integers(0, 4)),
                       (PEDESTRIAN, rng.integers(0, 4)),
                       (BICYCLIST, rng.integers(0, 3))):
        actors += [(int(rng.uniform(horizon + 0.15 * (h - horizon), h)),
                    cls) for _ in range(int(count))]
    for y, cls in sorted(actors):
        scale = (y - horizon) / (h - horizon)
        lo, hi = _road_x(horizon, vx, left, right, y, h)
        if cls == CAR:
            _car(c, y, rng.uniform(lo + 0.1 * (hi - lo),
                                   hi - 0.1 * (hi - lo)), scale)
        elif cls == BICYCLIST:
            _person(c, y, rng.choice([lo + 3, hi - 3]), scale, cls)
        else:
            _person(c, y, rng.choice([rng.uniform(0, max(lo, 1)),
                                      rng.uniform(min(hi, w - 1), w)]),
                    scale, cls)
    for _ in range(int(rng.integers(0, 3))):
        _clutter(c)

    img = c.img * rng.uniform(0.75, 1.2) + rng.uniform(-20, 20)
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    img += rng.normal(0, 7, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), c.label


def write_street_scenes(root: str,
                        num_train: int = 400,
                        num_val: int = 80,
                        num_test: int = 80,
                        size: Tuple[int, int] = (64, 64),
                        seed: int = 0) -> Dict[str, int]:
    """Write street scenes to ``root`` in CamVid's SegNet layout.

    ``root/{train,val,test}/scene_<i>.png`` are RGB images and
    ``root/{train,val,test}annot/scene_<i>.png`` single-channel labels
    (0..10, 11 = void). Image ``i`` of a split is drawn from its own
    generator seeded with ``(seed, split, i)``: the same arguments give
    the same files, and one split does not change when another split's
    count does.

    Args:
        root (str): The output folder (created; existing files of the
            same names are overwritten).
        num_train (int): Training images. Defaults to 400.
        num_val (int): Validation images. Defaults to 80.
        num_test (int): Test images. Defaults to 80.
        size (tuple[int, int]): ``(height, width)``. Defaults to
            ``(64, 64)``.
        seed (int): Base seed. Defaults to 0.

    Returns:
        dict[str, int]: the number of images written per split.
    """
    if min(size) < 32:
        raise ValueError(f'size must be at least 32x32, got {size}: '
                         'smaller scenes lose the thin classes')
    counts = dict(train=num_train, val=num_val, test=num_test)
    for split, num in counts.items():
        if num < 0:
            raise ValueError(f'num_{split} must be >= 0, got {num}')
    for split, num in counts.items():
        img_dir = osp.join(root, split)
        ann_dir = osp.join(root, split + 'annot')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(ann_dir, exist_ok=True)
        for i in range(num):
            rng = np.random.default_rng([seed, SPLIT_IDS[split], i])
            img, label = render_scene(tuple(size), rng)
            name = f'scene_{i:05d}.png'
            cv2.imwrite(osp.join(img_dir, name), img[..., ::-1])
            cv2.imwrite(osp.join(ann_dir, name), label)
    return counts
