"""autocast_dtype of the pool synthesizers: the inner loop's forwards run
in bfloat16, the round's outputs and losses stay float32."""
import os.path as osp

import pytest
import torch

from mmdfkd.benchmark.cases import Built, load_method
from mmdfkd.models.synthesizers import PixelSynthesizer
from tests.conftest import ROOT

POOL = ['cmi_digits.py', 'deepinv_digits.py', 'fast_digits.py']


@pytest.mark.parametrize('name', POOL)
def test_inner_loop_runs_in_bfloat16(name):
    torch.manual_seed(0)
    b = Built(load_method(osp.join(ROOT, 'configs', name)), 4,
              torch.device('cpu'), amp=True)
    syn = b.synthesizer
    assert syn.autocast_dtype == 'bfloat16'
    syn.iterations = 2
    conv = next(m for m in b.model.teacher.modules()
                if isinstance(m, torch.nn.Conv2d))
    seen = []
    conv.register_forward_hook(lambda m, a, out: seen.append(out.dtype))
    log = syn.step(b.model, b.z, b.y)
    # the synthesis steps ran the teacher in bf16 (the final labelling
    # forward, outside the loop, in float32)
    assert seen[:-1] and all(d == torch.bfloat16 for d in seen[:-1])
    assert seen[-1] == torch.float32
    images, _ = syn.pool.sample(4)
    assert images.dtype == torch.float32
    losses = [v for k, v in log.items() if k.startswith('synthesis.loss')]
    assert all(v.dtype == torch.float32 and torch.isfinite(v)
               for v in losses)


def test_float16_is_refused():
    with pytest.raises(ValueError, match='loss scaling'):
        PixelSynthesizer(image_shape=(1, 8, 8), autocast_dtype='float16')
