"""Shared fixtures: small digits teacher/student configs and a briefly
trained teacher checkpoint (trained once per test session)."""
import copy
import gc
import os.path as osp

import pytest

import mmdfkd  # noqa: F401
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def pytest_collection_finish(session):
    """Leave what the imports and collection made (~4·10^5 objects) out of
    the garbage collector's scans: every mmengine dataset calls
    ``gc.collect()`` once built, and those walked them, ~0.3 CPU s each in
    a test process (25 of the 237 CPU s of
    tests/test_configs/test_configs_run.py run alone); collections now
    walk what the tests made since."""
    gc.freeze()


@pytest.fixture(autouse=True)
def mmdfkd_scope():
    """Build under the mmdfkd scope in every test, whatever an earlier
    test's runner left as the current default scope."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        yield


@pytest.fixture(autouse=True, scope='module')
def mmdfkd_module_scope():
    """The same for a module's fixtures, which are set up before the first
    test's own: a module-scoped model is built under the mmdfkd scope
    whichever module ran before (with ``pytest -n``, any of them)."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        yield


@pytest.fixture(autouse=True)
def own_visualizers(request, monkeypatch):
    """Visualizers of one test's runners are its own, as in a process of
    their own. mmengine keeps one visualizer per name and process, and
    mmseg's default runtime names its 'visualizer': a later test's runner
    would get the first one's, whose save folder (an earlier test's
    tmp_path, removed when that test passed) it would write into."""
    from mmengine.visualization import Visualizer
    get_instance = Visualizer.get_instance.__func__
    test = request.node.nodeid

    def per_test(cls, name: str, **kwargs):
        return get_instance(cls, f'{name}@{test}', **kwargs)

    monkeypatch.setattr(Visualizer, 'get_instance', classmethod(per_test))
    yield


def load_cfg(rel: str) -> Config:
    return Config.fromfile(osp.join(ROOT, rel))


@pytest.fixture(scope='session')
def teacher_cfg() -> dict:
    cfg = load_cfg('configs/_base_/models/digits_teacher.py')
    return cfg.teacher.to_dict()


@pytest.fixture(scope='session')
def student_cfg() -> dict:
    cfg = load_cfg('configs/_base_/models/digits_student.py')
    return cfg.student.to_dict()


def distiller_cfg(teacher: dict, student: dict, **overrides) -> dict:
    """A small DataFreeDistiller config on 8×8 digits (DDAD-like losses)."""
    cfg = dict(
        type='DataFreeDistiller',
        teacher=copy.deepcopy(teacher),
        student=copy.deepcopy(student),
        synthesizer=dict(
            type='GeneratorSynthesizer',
            generator=dict(
                type='ConvGenerator',
                latent_dim=16,
                img_size=8,
                out_channels=1,
                base_channels=16)),
        generator_losses=dict(
            bn=dict(type='BNStatisticsLoss'),
            adv=dict(type='AdversarialL1Loss')),
        student_losses=dict(kd=dict(type='L1LogitsLoss')),
        schedule=[('student', 2), ('generator', 1)])
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope='session')
def trained_teacher(tmp_path_factory) -> str:
    """Weights of the digits teacher after a short supervised run, as the
    teacher config's TeacherExportHook writes them."""
    from mmengine.runner import Runner
    work_dir = tmp_path_factory.mktemp('teacher')
    cfg = load_cfg('configs/teachers/digits_convnet.py')
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = 4
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1000
    runner = Runner.from_cfg(cfg)
    runner.train()
    path = str(work_dir / 'teacher.pth')
    assert runner.message_hub.get_info('teacher_checkpoint') == path
    return path
