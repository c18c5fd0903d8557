"""A new synthesizer is one module: a class implementing the interface,
registered, named in a config. This one ("noise pool": batches of uniform
noise, kept in the pool and labelled by the teacher) is defined here, with
no edit to the distiller, the hooks or the benchmark, and trains through
``Runner.from_cfg`` with the picture hook and the benchmark's cases."""
from typing import Dict, Tuple

import torch
from mmengine.runner import Runner

from mmdfkd.models.synthesizers import PoolSynthesizer
from mmdfkd.registry import MODELS
from tests.conftest import load_cfg


@MODELS.register_module(force=True)
class NoisePoolSynthesizer(PoolSynthesizer):
    """Uniform noise in the pixel range: the loss terms are only evaluated
    (there is nothing to optimise)."""

    def __init__(self, image_shape=(1, 8, 8), **kwargs) -> None:
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.iterations = 1

    def probe(self) -> torch.Tensor:
        low, high = self.pixel_range
        return torch.full((2, *self.image_shape), (low + high) / 2)

    def synthesize(self, env, loss_fn, latents
                   ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        low, high = self.pixel_range
        images = low + torch.rand(len(latents), *self.image_shape,
                                  device=latents.device) * (high - low)
        with torch.no_grad():
            losses = loss_fn(images)
        return images, losses


def noise_cfg(trained_teacher, tmp_path, max_iters=2):
    cfg = load_cfg('configs/deepinv_digits.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.synthesizer = dict(type='NoisePoolSynthesizer',
                                 pool=dict(max_size=None))
    cfg.merge_from_dict({
        'model.teacher_ckpt': trained_teacher,
        'model.schedule': [('synthesis', 1), ('student', 2)],
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': max_iters,
        'train_dataloader.batch_size': 8,
        'default_hooks.synthetic_grid.interval': 1,
        'default_hooks.checkpoint.interval': max_iters,
    })
    return cfg


def test_toy_synthesizer_trains_through_the_runner(trained_teacher,
                                                   tmp_path):
    torch.set_num_threads(1)
    runner = Runner.from_cfg(noise_cfg(trained_teacher, tmp_path))
    student = {k: v.clone()
               for k, v in runner.model.student.state_dict().items()}
    runner.train()
    model = runner.model
    assert type(model.synthesizer).__name__ == 'NoisePoolSynthesizer'
    pool = model.synthesizer.pool
    assert len(pool) == 16  # two rounds of 8
    images, labels = pool.tensors()
    with torch.no_grad():  # labelled by the teacher, as for every pool
        expected = model.teacher(model.normalize(images, 'teacher'),
                                 mode='tensor').argmax(1)
    torch.testing.assert_close(labels, expected)
    assert any(not torch.equal(v, student[k])
               for k, v in model.student.state_dict().items()
               if v.is_floating_point())
    scalars = runner.message_hub.log_scalars
    for key in ('train/synthesis.loss_bn', 'train/synthesis.pool_size',
                'train/synthesis.pool_class_balance', 'train/student.loss'):
        assert key in scalars, key
    # the picture hook drew its pool, the runtime hooks ran as for any
    assert runner.message_hub.get_info('synthetic_grid').endswith(
        'synthetic_2.png')
    assert runner.message_hub.get_info('training_health') is not None
    # its pool is in the checkpoint, under the synthesizer
    ckpt = torch.load(f'{tmp_path}/iter_2.pth', weights_only=False)
    assert 'synthesizer.pool._extra_state' in ckpt['state_dict']


def test_benchmark_times_it_without_an_edit(tmp_path):
    from mmdfkd.benchmark.cases import Built, student_case, synthesizer_case
    cfg = noise_cfg(None, tmp_path)
    cfg.model.teacher_ckpt = None
    built = Built(cfg, 4, torch.device('cpu'))
    case = synthesizer_case(built, 'noise', iters=1)
    case.method()
    case.method_lo()
    case.floor()
    assert 'bwd to the pixels' in case.floor_desc  # the family's floor
    student_case(built, 'noise', iters=1).method()
    assert len(built.synthesizer.pool) > 0
