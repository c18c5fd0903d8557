"""``mmdfkd.compat.torchvision_ops``: CPU nms operators for torchvision."""
import random
from typing import List

import pytest
import torch

import mmdfkd  # noqa: F401  (applies the fixes before torchvision loads)
from mmdfkd.compat.torchvision_ops import nms_reference

# Hand-made example. IoUs with box 3 (the best): box 0 = 90/100 = 0.9,
# box 1 = 72/118 = 0.61 (intersection 9 x 8), box 2 = 0; IoU(0, 1) = 81/119.
BOXES = [[0., 0., 10., 10.], [1., 1., 11., 11.], [20., 20., 30., 30.],
         [0., 0., 10., 9.]]
SCORES = [0.9, 0.8, 0.7, 0.95]


def brute_force_nms(boxes: List[List[float]], scores: List[float],
                    thr: float) -> List[int]:
    """Textbook greedy NMS in pure Python, for comparison."""
    def iou(a: List[float], b: List[float]) -> float:
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = w * h
        union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) *
                 (b[3] - b[1]) - inter)
        return inter / union

    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep: List[int] = []
    for i in order:
        if all(iou(boxes[i], boxes[k]) <= thr for k in keep):
            keep.append(i)
    return keep


@pytest.mark.parametrize('thr, expected', [
    (0.5, [3, 2]),        # 0 and 1 overlap box 3 by more than 0.5
    (0.7, [3, 1, 2]),     # 1 (0.61) survives; 0 was suppressed, so the
                          # 0.68 overlap between 0 and 1 does not count
    (0.95, [3, 0, 1, 2]),  # nothing suppressed: all, by decreasing score
])
def test_torchvision_nms_matches_hand_computation(thr, expected):
    from torchvision.ops import nms
    keep = nms(torch.tensor(BOXES), torch.tensor(SCORES), thr)
    assert keep.dtype == torch.int64
    assert keep.tolist() == expected


def test_iou_equal_to_threshold_is_kept():
    boxes = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 1.]])  # IoU 2/4
    scores = torch.tensor([0.9, 0.8])
    assert torch.ops.torchvision.nms(boxes, scores, 0.5).tolist() == [0, 1]
    assert torch.ops.torchvision.nms(boxes, scores, 0.4).tolist() == [0]


def test_batched_quantized_and_empty():
    from torchvision.ops import batched_nms, nms
    boxes, scores = torch.tensor(BOXES), torch.tensor(SCORES)
    # Box 1 is alone in class 1, so it survives.
    idxs = torch.tensor([0, 1, 0, 0])
    assert batched_nms(boxes, scores, idxs, 0.5).tolist() == [3, 1, 2]
    qboxes = torch.quantize_per_tensor(boxes, 0.5, 0, torch.quint8)
    qscores = torch.quantize_per_tensor(scores, 0.01, 0, torch.quint8)
    assert nms(qboxes, qscores, 0.5).tolist() == [3, 2]
    empty = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert empty.dtype == torch.int64 and empty.numel() == 0


def test_nms_matches_brute_force_on_random_boxes():
    rng = random.Random(0)
    for _ in range(5):
        boxes, scores = [], []
        for _ in range(60):
            x, y = rng.uniform(0, 50), rng.uniform(0, 50)
            w, h = rng.uniform(1, 20), rng.uniform(1, 20)
            boxes.append([x, y, x + w, y + h])
            scores.append(rng.random())
        for thr in (0.3, 0.6):
            got = nms_reference(torch.tensor(boxes, dtype=torch.float64),
                                torch.tensor(scores, dtype=torch.float64),
                                thr)
            assert got.tolist() == brute_force_nms(boxes, scores, thr)


def test_fresh_interpreter_imports_torchvision_after_mmdfkd(run_python):
    result = run_python('''
        import sys
        import torch
        # Without the fix the CUDA-built torchvision does not import here.
        try:
            import torchvision
            plain_import = 'ok'
        except RuntimeError as err:
            plain_import = str(err)
        tv = load_standalone('torchvision_ops')
        needed = tv.needs_fix()
        applied = tv.apply()
        again = tv.apply()
        import torchvision
        from torchvision.ops import nms
        model = torchvision.models.resnet18(num_classes=3).eval()
        with torch.no_grad():
            logits = model(torch.randn(1, 3, 32, 32))
        keep = nms(torch.tensor([[0., 0, 10, 10], [0, 0, 10, 9]]),
                   torch.tensor([0.5, 0.6]), 0.5)
        print('RESULT:' + json.dumps(dict(
            plain_import=plain_import, needed=needed, applied=applied,
            again=again, keep=keep.tolist(), logits=list(logits.shape),
            defined=tv._DEFINED)))
    ''')
    if result['plain_import'] != 'ok':  # the CPU machine this targets
        assert 'torchvision::nms does not exist' in result['plain_import']
        assert result['needed'] and result['applied']
        assert result['defined'] == ['nms', 'qnms']
    assert result['again'] is False
    assert result['keep'] == [1]
    assert result['logits'] == [1, 3]


def test_existing_operator_is_left_alone(run_python):
    result = run_python('''
        import sys
        import torch
        lib = torch.library.Library('torchvision', 'FRAGMENT')
        schema = '(Tensor dets, Tensor scores, float iou_threshold) -> Tensor'
        for op in ('nms', 'qnms'):
            lib.define(op + schema)
            lib.impl(op, lambda d, s, t: torch.tensor([42]),
                     'CompositeExplicitAutograd')
        tv = load_standalone('torchvision_ops')
        out = dict(needed=tv.needs_fix(), applied=tv.apply(),
                   defined=tv._DEFINED,
                   hooks=[type(f).__name__ for f in sys.meta_path
                          if type(f).__name__ == '_BoxesFinder'],
                   nms=torch.ops.torchvision.nms(
                       torch.zeros(1, 4), torch.zeros(1), 0.5).tolist())
        print('RESULT:' + json.dumps(out))
    ''')
    assert result == dict(needed=False, applied=False, defined=[], hooks=[],
                          nms=[42])


def test_working_native_library_or_imported_torchvision_is_left_alone(
        run_python):
    result = run_python('''
        import sys, types
        import torch
        tv = load_standalone('torchvision_ops')
        # 1) A native library that loads (as with CUDA torch) and registers
        #    the operators: simulated by a load_library that defines them.
        loaded = []
        def fake_load_library(path):
            loaded.append(path)
            lib = torch.library.Library('torchvision', 'FRAGMENT')
            for op in ('nms', 'qnms'):
                lib.define(op + '(Tensor dets, Tensor scores, '
                           'float iou_threshold) -> Tensor')
            fake_load_library.keep = lib
        real = torch.ops.load_library
        torch.ops.load_library = fake_load_library
        try:
            native = dict(applied=tv.apply(), defined=list(tv._DEFINED),
                          loaded=[p.rsplit('/', 1)[-1] for p in loaded])
        finally:
            torch.ops.load_library = real
        print('RESULT:' + json.dumps(native))
    ''')
    assert result['applied'] is False and result['defined'] == []
    assert len(result['loaded']) == 1 and result['loaded'][0].startswith('_C')

    result = run_python('''
        import sys, types
        import torch
        sys.modules['torchvision'] = types.ModuleType('torchvision')
        tv = load_standalone('torchvision_ops')
        print('RESULT:' + json.dumps(dict(
            needed=tv.needs_fix(), applied=tv.apply(),
            has_nms=hasattr(torch.ops.torchvision, 'nms'))))
    ''')
    assert result == dict(needed=False, applied=False, has_nms=False)
