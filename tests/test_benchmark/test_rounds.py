"""scale_rounds: a config's length changed, its schedules stretched."""
import pytest
from mmengine.config import Config

from mmdfkd.benchmark.rounds import scale_rounds, single_stage, stage_shares
from tests.conftest import load_cfg


def test_online_method_cosine_follows_the_length():
    cfg = load_cfg('configs/ddad_digits.py')  # 1200 rounds, cosine
    scale_rounds(cfg, 600)
    assert cfg.train_cfg.max_iters == 600
    (cosine, ) = cfg.param_scheduler.student
    assert cosine.T_max == 600
    # the constant generator schedule has nothing to stretch
    assert cfg.param_scheduler.generator[0] == dict(
        type='ConstantLR', factor=1.0, by_epoch=False)


def test_dfad_decays_keep_their_proportions():
    cfg = load_cfg('configs/dfad_digits.py')  # 2400 rounds, ×0.1 at 20/40 %
    scale_rounds(cfg, 600)
    for player in ('generator', 'student'):
        (steps, ) = cfg.param_scheduler[player]
        assert steps.milestones == [120, 240]


def test_two_stage_rdskd_keeps_its_proportions():
    cfg = load_cfg('configs/rdskd_digits.py')  # 600 G + 1800 S rounds
    scale_rounds(cfg, 1200)
    generator_stage, student_stage = cfg.model.schedule
    assert generator_stage['rounds'] == 300
    assert 'rounds' not in student_stage  # the last stage runs to the end
    (cosine, ) = cfg.param_scheduler.student
    assert (cosine.begin, cosine.end, cosine.T_max) == (300, 1200, 900)
    # the generator's snapshot rhythm ("epochs" of 60) stays
    assert cfg.model.generator_losses.onehot.interval == 60


def test_warmup_rounds_and_milestones_scale_rhythms_stay():
    cfg = load_cfg('configs/fast_digits.py')  # 300 rounds, 20 warm-up
    scale_rounds(cfg, 150)
    assert cfg.model.warmup_rounds == 10
    assert cfg.model.synthesizer.reset_interval == 20
    cfg = Config(dict(
        train_cfg=dict(max_iters=100),
        param_scheduler=[
            dict(type='LinearLR', by_epoch=False, begin=0, end=10),
            dict(type='MultiStepLR', by_epoch=False, milestones=[50, 75]),
            dict(type='CosineAnnealingLR', by_epoch=True, T_max=5),
        ]))
    scale_rounds(cfg, 300)
    warm, steps, epochwise = cfg.param_scheduler
    assert (warm.begin, warm.end) == (0, 30)
    assert steps.milestones == [150, 225]
    assert epochwise.T_max == 5  # epoch-based: untouched


def test_bad_arguments():
    with pytest.raises(ValueError, match='iteration-based'):
        scale_rounds(Config(dict(train_cfg=dict(max_epochs=3))), 10)
    with pytest.raises(ValueError, match='rounds'):
        scale_rounds(load_cfg('configs/dfq_digits.py'), 0)


def test_stage_shares_and_single_stage():
    cfg = load_cfg('configs/rdskd_digits.py')  # 600 G + 1800 S rounds
    assert stage_shares(cfg) == [0.25, 0.75]
    scale_rounds(cfg, 1200)
    assert stage_shares(cfg) == [0.25, 0.75]  # scaling keeps the shares
    generator_only = single_stage(cfg, 0)
    (stage, ) = generator_only.model.schedule
    assert 'rounds' not in stage  # it runs every round
    assert [tuple(p) for p in stage['phases']] == [('generator', 1)]
    (stage, ) = single_stage(cfg, 1).model.schedule
    assert stage['eval_modules'] == cfg.model.schedule[1]['eval_modules']
    assert len(cfg.model.schedule) == 2  # the original is unchanged
    # a stage longer than the run: the last one gets no rounds
    cfg.model.schedule[0]['rounds'] = 5000
    assert stage_shares(cfg) == [1.0, 0.0]
    # one stage, or (phase, count) entries: nothing to split
    assert stage_shares(load_cfg('configs/dfad_digits.py')) is None
    with pytest.raises(ValueError, match='no stage 0'):
        single_stage(load_cfg('configs/dfad_digits.py'), 0)
