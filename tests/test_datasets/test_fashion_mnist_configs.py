"""The Fashion-MNIST configs: the supervised ones (teachers, students from
scratch) train and test through the runner on tiny files in the official
layout; the teachers export the weights the distillation configs read;
tools/train.py stops early on a missing or misnamed data folder."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from mmdfkd.tasks import TASKS
from tests.conftest import ROOT, load_cfg
from tests.fashion_mnist_data import write_fashion_mnist
from tests.tool_runs import run_tool

SUPERVISED = {
    'configs/teachers/fashion_mnist_convnet.py': 288170,
    'configs/teachers/fashion_mnist_lenet5.py': 61706,
    'configs/students/fashion_mnist_convnet_scratch.py': 72666,
    'configs/students/fashion_mnist_lenet5_half_scratch.py': 35820,
}
DISTILLATION = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '*fashion_mnist.py')))


def point_at(cfg, root):
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = root
        cfg[key].num_workers = 0


@pytest.mark.parametrize('config', sorted(SUPERVISED))
def test_supervised_config_trains_tests_and_names_its_checkpoint(
        config, tmp_path):
    root = write_fashion_mnist(str(tmp_path / 'data'), n_train=60,
                               n_test=10)
    cfg = load_cfg(config)
    max_epochs = cfg.train_cfg.max_epochs
    point_at(cfg, root)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.test()
    finally:
        torch.set_num_threads(threads)
    assert 0 <= metrics['accuracy/top1'] <= 100
    # the size the docs and configs state
    assert sum(p.numel() for p in runner.model.parameters()) == \
        SUPERVISED[config]
    # a teacher's TeacherExportHook writes the weights alone as
    # <work_dir>/teacher.pth; a student trained from scratch exports none
    exported = osp.join(cfg.work_dir, 'teacher.pth')
    is_teacher = config.startswith('configs/teachers/')
    assert osp.isfile(exported) == is_teacher
    if is_teacher:
        state = torch.load(exported, weights_only=True)['state_dict']
        model = runner.model.state_dict()
        assert state.keys() == model.keys()
        assert all(torch.equal(state[k], model[k]) for k in state)
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_1.pth'))
    assert max_epochs > 1


@pytest.mark.parametrize('config', DISTILLATION)
def test_distillation_reads_what_the_teacher_config_writes(config):
    cfg = load_cfg(config)
    teacher = load_cfg(cfg.teacher_config)
    stem = osp.splitext(osp.basename(cfg.teacher_config))[0]
    assert cfg.model.teacher_ckpt == f'work_dirs/{stem}/teacher.pth'
    # the same architecture as the teacher config trains
    assert cfg.model.teacher == teacher.model


def test_tasks_name_existing_configs_and_their_teachers():
    for name, task in TASKS.items():
        for method, config in {**task.methods, **task.references}.items():
            assert osp.isfile(osp.join(ROOT, config)), (name, config)
            cfg = load_cfg(config)
            assert cfg.model.teacher_ckpt == task.teacher_ckpt, config
            assert cfg.teacher_config == task.teacher_config, config


def test_train_stops_early_on_a_missing_data_folder(tmp_path):
    missing = str(tmp_path / 'nowhere')
    out = run_tool([
        'tools/train.py', 'configs/dfad_convnet_fashion_mnist.py',
        '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        f'val_dataloader.dataset.data_root={missing}',
        f'test_dataloader.dataset.data_root={missing}'
    ], timeout=120)
    assert out.returncode != 0
    assert f"the data folder '{missing}'" in out.stdout
    assert 'make data-fashion-mnist' in out.stdout
    # nothing was built or written before the check
    assert not osp.exists(str(tmp_path / 'work'))


def test_train_names_the_expected_files_in_another_layout(tmp_path):
    """The files one folder too deep: the dataset names the folder, the
    four expected files and the make target when the runner builds it."""
    root = write_fashion_mnist(str(tmp_path / 'data' / 'raw'))
    teacher = tmp_path / 'teacher.pth'
    cfg = load_cfg('configs/dfad_convnet_fashion_mnist.py')
    from mmdfkd.registry import MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdfkd'):
        net = MODELS.build(cfg.model.teacher.to_dict())
    torch.save(dict(state_dict=net.state_dict()), teacher)
    parent = osp.dirname(root)
    out = run_tool([
        'tools/train.py', 'configs/dfad_convnet_fashion_mnist.py',
        '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        f'model.teacher_ckpt={teacher}', 'train_cfg.max_iters=1',
        f'val_dataloader.dataset.data_root={parent}',
        f'test_dataloader.dataset.data_root={parent}'
    ], timeout=300)
    assert out.returncode != 0
    assert f"-ubyte.gz is in '{parent}'" in out.stdout
    for name in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
                 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        assert name in out.stdout
    assert 'make data-fashion-mnist' in out.stdout
