import math

import pytest
import torch
from mmengine.optim import OptimWrapperDict

from mmdfkd.datasets import LatentDataset
from mmdfkd.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from tests.conftest import distiller_cfg


def build(teacher_cfg, student_cfg, **overrides):
    return MODELS.build(distiller_cfg(teacher_cfg, student_cfg, **overrides))


def optim_wrappers(model) -> OptimWrapperDict:
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='MultiOptimWrapperConstructor',
            optim_wrapper_cfg=dict(
                generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
                student=dict(optimizer=dict(type='SGD', lr=0.1)))))(model)


def latent_batch(n=8, draws=3, dim=16):
    ds = LatentDataset(dim, draws=draws, num_classes=10)
    return torch.utils.data.default_collate([ds[i] for i in range(n)])


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, module):
    after = module.state_dict()
    return [k for k in before if not torch.equal(before[k], after[k])]


def test_teacher_frozen_and_in_eval(teacher_cfg, student_cfg):
    model = build(teacher_cfg, student_cfg)
    model.train()
    assert not model.teacher.training
    assert model.student.training
    before = snapshot(model.teacher)
    model.train_step(latent_batch(), optim_wrappers(model))
    assert all(p.grad is None for p in model.teacher.parameters())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    # running statistics are the BN target: never updated
    assert changed(before, model.teacher) == []


def test_generator_step_does_not_touch_student(teacher_cfg, student_cfg):
    model = build(teacher_cfg, student_cfg, schedule=[('generator', 1)])
    model.train()
    student_before = snapshot(model.student)
    gen_before = snapshot(model.synthesizer.generator)
    log = model.train_step(latent_batch(), optim_wrappers(model))
    assert set(log) == {
        'generator.loss_bn', 'generator.loss_adv', 'generator.loss',
        'synthesis.diversity', 'synthesis.class_balance'
    }
    # collapse indicators of the batch, in their ranges
    assert 0 <= float(log['synthesis.class_balance']) <= 1
    assert 0 <= float(log['synthesis.diversity']) <= 2
    assert all(p.grad is None for p in model.student.parameters())
    assert all(p.requires_grad for p in model.student.parameters())
    # only BN running stats of the student may move (train-mode forward)
    assert all('running' in k or 'num_batches' in k
               for k in changed(student_before, model.student))
    assert any('weight' in k for k in changed(gen_before,
                                              model.synthesizer.generator))


def test_student_step_does_not_touch_generator(teacher_cfg, student_cfg):
    model = build(teacher_cfg, student_cfg, schedule=[('student', 2)])
    model.train()
    gen_before = snapshot(model.synthesizer.generator)
    student_before = snapshot(model.student)
    log = model.train_step(latent_batch(), optim_wrappers(model))
    # an online student batch is synthesized too: its indicators are logged
    assert set(log) == {'student.loss_kd', 'student.loss',
                        'synthesis.diversity', 'synthesis.class_balance'}
    assert all(p.grad is None or not p.grad.any()
               for p in model.synthesizer.generator.parameters())
    assert all('running' in k or 'num_batches' in k
               for k in changed(gen_before, model.synthesizer.generator))
    assert any('weight' in k
               for k in changed(student_before, model.student))


def test_draws_cycle_through_schedule(teacher_cfg, student_cfg):
    """Each step of a round takes the next latent draw."""
    model = build(teacher_cfg, student_cfg, schedule=[('student', 3)])
    seen = []
    model.synthesizer.register_forward_pre_hook(
        lambda m, args: seen.append(args[0].clone()))
    batch = latent_batch(draws=2)
    model.train_step(batch, optim_wrappers(model))
    assert len(seen) == 3
    torch.testing.assert_close(seen[0], batch['latents'][:, 0])
    torch.testing.assert_close(seen[1], batch['latents'][:, 1])
    torch.testing.assert_close(seen[2], batch['latents'][:, 0])


def test_init_weights_keeps_teacher(teacher_cfg, student_cfg,
                                    trained_teacher):
    model = build(teacher_cfg, student_cfg, teacher_ckpt=trained_teacher)
    before = snapshot(model.teacher)
    model.init_weights()
    assert changed(before, model.teacher) == []


def test_nonfinite_loss_is_skipped(teacher_cfg, student_cfg):
    from mmdfkd.models.losses import LossTerm

    @MODELS.register_module(force=True)
    class AlwaysNaNLoss(LossTerm):

        def compute(self, ctx):
            return ctx.teacher_logits.sum() * float('nan')

    model = build(
        teacher_cfg,
        student_cfg,
        generator_losses=dict(nan=dict(type='AlwaysNaNLoss')),
        schedule=[('generator', 1)],
        max_nonfinite_steps=3)
    model.train()
    wrappers = optim_wrappers(model)
    before = snapshot(model.synthesizer.generator)
    log = model.train_step(latent_batch(), wrappers)
    # no loss is logged; the batch's collapse indicators still are
    assert {k for k in log if not k.startswith('synthesis.')} == {
        'generator.skipped'}
    assert float(log['generator.skipped']) == 1.0
    assert changed(before, model.synthesizer.generator) == [] or all(
        'running' in k or 'num_batches' in k
        for k in changed(before, model.synthesizer.generator))
    assert all(torch.isfinite(p).all()
               for p in model.synthesizer.generator.parameters())
    model.train_step(latent_batch(), wrappers)
    with pytest.raises(FloatingPointError, match='3 consecutive'):
        model.train_step(latent_batch(), wrappers)


def test_missing_teacher_checkpoint(teacher_cfg, student_cfg, tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth.*tools/train.py'):
        build(teacher_cfg, student_cfg, teacher_ckpt=missing)


def test_unreadable_teacher_checkpoint(teacher_cfg, student_cfg, tmp_path):
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'not a checkpoint')
    with pytest.raises(Exception, match='bad.pth'):
        build(teacher_cfg, student_cfg, teacher_ckpt=str(bad))


def _teacher_with(teacher_cfg, tmp_path, name, change):
    """A teacher checkpoint whose state dict ``change`` edited."""
    state = MODELS.build(teacher_cfg).state_dict()
    change(state)
    path = str(tmp_path / name)
    torch.save(dict(state_dict=state), path)
    return path


@pytest.mark.parametrize('value,words', [
    (float('nan'), 'non-finite value: nan'),
    (float('inf'), 'non-finite value: inf'),
    (5.4e36, r'value beyond 1.84e\+19.*5.4e\+36'),
])
def test_teacher_weights_are_checked(teacher_cfg, student_cfg, tmp_path,
                                     value, words):
    key = 'backbone.stages.0.0.conv.weight'

    def corrupt(state):
        state[key].view(-1)[3] = value

    path = _teacher_with(teacher_cfg, tmp_path, 'bad_values.pth', corrupt)
    with pytest.raises(ValueError) as info:
        build(teacher_cfg, student_cfg, teacher_ckpt=path)
    message = str(info.value)
    assert 'bad_values.pth' in message and repr(key) in message
    assert 'flat index 3' in message
    import re
    assert re.search(words, message), message


def test_teacher_that_overflows_in_its_forward(teacher_cfg, student_cfg,
                                               tmp_path):
    # each weight is far below the magnitude limit; together they overflow
    def scale(state):
        for k, v in state.items():
            if k.endswith('weight') and v.dim() > 1:
                v.mul_(1e12)

    path = _teacher_with(teacher_cfg, tmp_path, 'huge.pth', scale)
    with pytest.raises(ValueError, match='huge.pth.*non-finite logits'):
        build(teacher_cfg, student_cfg, teacher_ckpt=path)


def test_one_changed_byte_in_the_teacher_file(teacher_cfg, student_cfg,
                                              tmp_path, trained_teacher):
    import zipfile

    from mmdfkd.compat.checkpoint import CorruptCheckpointError
    with zipfile.ZipFile(trained_teacher) as archive:
        entry = max(archive.infolist(), key=lambda i: i.file_size)
    data = bytearray(open(trained_teacher, 'rb').read())
    # the entry's bytes start after its local header (30 bytes + name +
    # extra field, which torch pads for alignment): flip one in the middle
    data[entry.header_offset + entry.file_size // 2 + 200] ^= 0x40
    flipped = tmp_path / 'flipped.pth'
    flipped.write_bytes(bytes(data))
    # torch itself loads it silently, as another weight
    torch.load(flipped, weights_only=True)
    with pytest.raises(CorruptCheckpointError,
                       match=r'flipped.pth is corrupt or incomplete.*CRC'):
        build(teacher_cfg, student_cfg, teacher_ckpt=str(flipped))


def test_checkpoint_keys_must_match(teacher_cfg, student_cfg, tmp_path):
    student = MODELS.build(student_cfg)
    path = str(tmp_path / 'student_as_teacher.pth')
    torch.save(dict(state_dict=student.state_dict()), path)
    # same key names, other shapes: still refused clearly
    with pytest.raises(ValueError, match='shape mismatches'):
        build(teacher_cfg, student_cfg, teacher_ckpt=path)
    partial = {k: v for k, v in MODELS.build(teacher_cfg).state_dict().items()
               if not k.startswith('head')}
    torch.save(dict(state_dict=partial), path)
    with pytest.raises(ValueError, match='missing keys.*head'):
        build(teacher_cfg, student_cfg, teacher_ckpt=path)


def test_class_count_mismatch(teacher_cfg, student_cfg):
    student = dict(student_cfg, head=dict(student_cfg['head'], num_classes=7))
    with pytest.raises(ValueError, match='10 classes but the student 7'):
        build(teacher_cfg, student)


def test_bn_term_needs_batchnorm_teacher(teacher_cfg, student_cfg):
    teacher = dict(
        teacher_cfg, backbone=dict(teacher_cfg['backbone'], norm_cfg=None))
    with pytest.raises(ValueError, match='no BatchNorm'):
        build(teacher, student_cfg)
    no_stats = dict(
        teacher_cfg,
        backbone=dict(
            teacher_cfg['backbone'],
            norm_cfg=dict(type='BN', track_running_stats=False)))
    with pytest.raises(ValueError, match='running statistics'):
        build(no_stats, student_cfg)
    # without the BN term, a teacher without BatchNorm is fine
    build(teacher, student_cfg,
          generator_losses=dict(adv=dict(type='AdversarialL1Loss')))


def test_data_preprocessor_the_distiller_cannot_take(teacher_cfg,
                                                     student_cfg):
    """A dataset base's typeless top-level ``data_preprocessor`` (merged
    into the model by the runner) and an image preprocessor are refused at
    build, naming the key and the fix."""
    typeless = dict(num_classes=10, mean=[1.0], std=[2.0], to_rgb=False)
    with pytest.raises(ValueError, match=r'DataFreeDistiller got '
                       r"data_preprocessor=\{'num_classes'.*top-level.*"
                       r'set `data_preprocessor = None`'):
        build(teacher_cfg, student_cfg, data_preprocessor=typeless)
    image = dict(type='mmpretrain.ClsDataPreprocessor', mean=[1.0],
                 std=[2.0])
    with pytest.raises(ValueError, match=r'ClsDataPreprocessor cannot take '
                       r'one.*set `data_preprocessor = None`'):
        build(teacher_cfg, student_cfg, data_preprocessor=image)
    # the knowledge distiller, on real images, refuses the typeless one too
    with pytest.raises(ValueError, match='KnowledgeDistiller got '):
        MODELS.build(
            dict(type='KnowledgeDistiller', teacher=teacher_cfg,
                 student=student_cfg,
                 student_losses=dict(kd=dict(type='KLDivergenceLoss')),
                 data_preprocessor=typeless))


def test_unregistered_names(teacher_cfg, student_cfg):
    with pytest.raises(KeyError, match='NoSuchLoss'):
        build(teacher_cfg, student_cfg,
              student_losses=dict(kd=dict(type='NoSuchLoss')))
    with pytest.raises(KeyError, match='NoSuchMethod'):
        MODELS.build(dict(type='NoSuchMethod'))
    with pytest.raises(ValueError, match='phase'):
        build(teacher_cfg, student_cfg, schedule=[('discriminator', 1)])


def test_val_step_runs_student(teacher_cfg, student_cfg):
    model = build(teacher_cfg, student_cfg)
    model.eval()
    from mmpretrain.structures import DataSample
    data = dict(
        inputs=[torch.randint(0, 255, (1, 8, 8), dtype=torch.uint8)] * 2,
        data_samples=[DataSample().set_gt_label(1)] * 2)
    out = model.val_step(data)
    assert len(out) == 2 and out[0].pred_score.shape == (10, )
    expected = model.student.val_step(data)
    torch.testing.assert_close(out[0].pred_score, expected[0].pred_score)
    assert math.isclose(float(out[0].pred_score.sum()), 1.0, rel_tol=1e-5)


def test_student_ema_is_what_is_evaluated(teacher_cfg, student_cfg):
    model = build(teacher_cfg, student_cfg, schedule=[('student', 2)],
                  student_ema=dict(momentum=0.5))
    model.init_weights()
    model.train()
    start = snapshot(model.student)
    wrappers = optim_wrappers(model)
    model.train_step(latent_batch(), wrappers)
    assert int(model.student_ema.steps) == 2
    ema = model.student_ema.module
    assert model.final_student is ema
    # first update copies, second averages with momentum 0.5
    for name, live in model.student.named_parameters():
        averaged = dict(ema.named_parameters())[name]
        assert not averaged.requires_grad
        assert not torch.equal(averaged, start[name])
        assert not torch.equal(averaged, live.detach())
    model.eval()
    x = torch.randn(2, 1, 8, 8)
    torch.testing.assert_close(model(x), ema(x, mode='tensor'))
    assert not any(p.requires_grad for p in ema.parameters())
