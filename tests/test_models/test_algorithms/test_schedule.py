"""Stages are part of the distiller's schedule (RDSKD's two stages, Fast
DFKD's warm-up): the stage of a round follows from ``rounds``, so a
resumed run is in its stage; latent draws follow from the stage's phases."""
import pytest
import torch

from mmdfkd.datasets import LatentDataset
from mmdfkd.models.algorithms.schedule import (Stage, parse_schedule,
                                               stage_at)
from mmdfkd.registry import MODELS
from tests.conftest import distiller_cfg
from tests.test_models.test_algorithms.test_data_free_distiller import (
    optim_wrappers, snapshot)

ONLINE = ('student', 'generator')


def test_parse_and_stage_at():
    one = parse_schedule([('student', 5), ('generator', 1)], ONLINE, 'G')
    assert one == [Stage(phases=(('student', 5), ('generator', 1)))]
    two = parse_schedule([
        dict(rounds=3, phases=[('generator', 1)]),
        dict(phases=[('student', 1)], eval_modules=['synthesizer'])
    ], ONLINE, 'G')
    assert [stage_at(two, r).phases for r in (0, 2, 3, 100)] == [
        (('generator', 1), )] * 2 + [(('student', 1), )] * 2
    assert two[1].eval_modules == ('synthesizer', )
    warm = parse_schedule([('synthesis', 1), ('student', 20)],
                          ('student', 'synthesis'), 'P', warmup_rounds=2)
    assert warm[0] == Stage(phases=(('synthesis', 1), ), rounds=2,
                            teacher_only=True)
    assert stage_at(warm, 2).phases == (('synthesis', 1), ('student', 20))


@pytest.mark.parametrize('schedule, words', [
    ([('discriminator', 1)], 'phase in'),
    ([('synthesis', 1)], "phase 'synthesis' does not fit G"),
    ([dict(phases=[('student', 1)]), dict(phases=[('student', 1)])],
     'every stage but the last runs a positive number'),
    ([dict(rounds=2, phases=[('student', 1)])], 'the last runs to the end'),
    ([dict(rounds=2, phase=[('student', 1)]), dict(phases=[])],
     "a stage has `phases`"),
    ([dict(phases=[('student', 1)]), ('student', 1)], 'not both'),
    ([], 'empty'),
])
def test_bad_schedules_are_named(schedule, words):
    with pytest.raises(ValueError, match=words):
        parse_schedule(schedule, ONLINE, 'G')


def test_two_stages_through_train_step(teacher_cfg, student_cfg):
    """Stage 1 updates the generator only, stage 2 the student only with
    the generator in eval mode; a fresh model loading the state of round 2
    is in stage 2 (the stage follows ``rounds``)."""
    cfg = distiller_cfg(teacher_cfg, student_cfg, schedule=[
        dict(rounds=2, phases=[('generator', 1)]),
        dict(phases=[('student', 2)], eval_modules=['synthesizer'])
    ])
    model = MODELS.build(cfg)
    model.train()
    wrappers = optim_wrappers(model)
    ds = LatentDataset()
    batch = torch.utils.data.default_collate([ds[i] for i in range(6)])
    logs = []
    for _ in range(2):
        logs.append(model.train_step(batch, wrappers))
    assert all(k.startswith(('generator.', 'synthesis.'))
               for log in logs for k in log)
    assert model.synthesizer.training
    state = model.state_dict()
    fresh = MODELS.build(cfg)
    fresh.load_state_dict(state)
    fresh.train()
    gen = snapshot(fresh.synthesizer)
    log = fresh.train_step(batch, optim_wrappers(fresh))
    assert 'student.loss' in log and 'generator.loss' not in log
    assert not fresh.synthesizer.training
    assert not fresh.synthesizer.generator.training
    assert all(torch.equal(v, gen[k])
               for k, v in fresh.synthesizer.state_dict().items())
    assert int(fresh.rounds) == 3 and fresh.stage.rounds is None


def test_latent_draws_follow_the_stage(teacher_cfg, student_cfg):
    """One draw per step that takes latents: both phases of an online
    generator's round; one per round with ``latent_draws=1`` (ZSKT)."""
    seen = []
    ds = LatentDataset()
    batch = torch.utils.data.default_collate([ds[i] for i in range(4)])
    for draws, expected in ((None, 3), (1, 1)):
        model = MODELS.build(distiller_cfg(
            teacher_cfg, student_cfg, latent_draws=draws,
            schedule=[('student', 2), ('generator', 1)]))
        latents, labels = model.round_latents(batch)
        assert latents.shape == (4, expected, 16)
        assert labels.shape == (4, expected)
        seen.append(latents)
        # the same values as a source drawing them itself
        fixed = LatentDataset(16, draws=expected, num_classes=10)
        torch.testing.assert_close(latents[0], fixed[0]['latents'])
        torch.testing.assert_close(labels[0], fixed[0]['labels'])
    torch.testing.assert_close(seen[1][:, 0], seen[0][:, 0])
    with pytest.raises(ValueError, match='latent_draws'):
        MODELS.build(distiller_cfg(teacher_cfg, student_cfg,
                                   latent_draws=0))
