"""tools/dist_train.sh: two CPU processes (gloo) through torchrun."""
import os.path as osp

import pytest

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from tests.conftest import ROOT
from tests.tool_runs import dist_train, run_dist_train, short_run


def failure(out: str) -> str:
    """The ranks' own tracebacks (torchrun's summary hides them)."""
    ranks = [line for line in out.splitlines() if line.startswith('[rank')]
    return '\n'.join(ranks[-60:]) or out[-6000:]


@pytest.fixture(scope='module')
def dist_run(trained_teacher, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('dist') / 'run'
    proc = run_dist_train('configs/dfad_digits.py', [
        '--work-dir',
        str(work_dir), '--cfg-options',
        f'model.teacher_ckpt={trained_teacher}', 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=16', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1'
    ])
    return proc, work_dir


def test_dist_train_two_cpu_processes(dist_run):
    proc, work_dir = dist_run
    out = proc.stdout
    assert proc.returncode == 0, failure(out)
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out
    import torch
    if not torch.cuda.is_available():
        assert 'using the gloo backend' in out
    ckpt = work_dir / 'iter_2.pth'
    assert ckpt.is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(ckpt)
    assert load_untrusted_checkpoint(str(ckpt))['meta']['iter'] == 2
    # validated at the end and exported once (by rank 0)
    assert 'accuracy/top1' in out
    assert (work_dir / 'student' / 'student.pth').is_file()
    assert out.count('student exported:') == 1


def test_dist_checkpoint_loads_like_a_single_process_one(dist_run):
    """The DDP wrappers around student and generator must not leak
    ``.module.`` into the checkpoint's keys: a single-process test or
    resume would otherwise load none of the trained weights (mmengine
    loads non-strictly and only warns)."""
    proc, work_dir = dist_run
    assert proc.returncode == 0, failure(proc.stdout)
    state = load_untrusted_checkpoint(str(work_dir / 'iter_2.pth'))
    # (the student EMA, an AveragedModel, names its copy `module` itself)
    wrapped = [
        k for k in state['state_dict']
        if '.module.' in k and not k.startswith('student_ema.module.')
    ]
    assert not wrapped, wrapped[:5]
    assert 'student.head.fc.weight' in state['state_dict']
    assert 'synthesizer.generator.project.weight' in state['state_dict']


#: DeepInversion's (PixelSynthesizer's) 2-process train and resume is
#: test_dist_disk_pool.py's run, with a DiskPool.
POOL_CONFIGS = {
    'configs/cmi_digits.py': ['model.synthesizer.iterations=2'],
    'configs/fast_digits.py':
    ['model.synthesizer.inner_steps=2', 'model.warmup_rounds=1'],
}


@pytest.mark.parametrize('config', sorted(POOL_CONFIGS))
def test_pool_families_train_and_resume_on_two_processes(
        config, trained_teacher, tmp_path):
    """Every pool-based family trains on 2 processes, and a --resume on 2
    processes restores pool, bank and synthesizer state and continues
    (DeepInversion: test_dist_disk_pool.py)."""

    from mmdfkd.utils import unpack_state
    work_dir = tmp_path / 'run'

    def run(max_iters, *extra):
        return dist_train(config, work_dir, [
            *short_run(trained_teacher, max_iters),
            'default_hooks.checkpoint.interval=1',
            "model.schedule=[('synthesis',1),('student',2)]",
            *POOL_CONFIGS[config]
        ], *extra)

    first = run(2)
    assert first.returncode == 0, failure(first.stdout)
    second = run(3, '--resume')
    assert second.returncode == 0, failure(second.stdout)
    assert 'resumed' in second.stdout.lower()
    state = load_untrusted_checkpoint(str(work_dir / 'iter_3.pth'))
    pool = unpack_state(
        state['state_dict']['synthesizer.pool._extra_state'])
    assert pool['num_images'] == 3 * 8  # rank 0's: 8 images a round
    if 'cmi' in config:  # the bank holds both ranks' features, 3 rounds
        synth = unpack_state(
            state['state_dict']['synthesizer._extra_state'])
        assert synth['memory_bank']['filled'] == 3 * 16


def test_a_failing_rank_ends_the_job(trained_teacher, tmp_path):
    """One rank raises while the other waits in a collective: the job must
    end with an error (and the rank's message), not hang in a barrier."""
    config = tmp_path / 'fails.py'
    config.write_text(
        f"_base_ = [{osp.join(ROOT, 'configs/dfad_digits.py')!r}]\n"
        "custom_imports = dict(imports=['mmdfkd', "
        "'tests.test_tools.failing_rank_hook'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='FailOnRankHook', rank=1)]\n")
    proc = run_dist_train(config, [
        '--work-dir',
        str(tmp_path / 'run'), '--cfg-options',
        f'model.teacher_ckpt={trained_teacher}', 'train_cfg.max_iters=4',
        'train_dataloader.batch_size=8', 'train_cfg.val_interval=100'
    ], timeout=240, PYTHONPATH=str(ROOT))
    assert proc.returncode != 0
    assert 'deliberate failure on rank 1' in proc.stdout


def test_second_run_into_a_finished_run_is_refused(dist_run,
                                                   trained_teacher):
    """The reported case: `tools/dist_train.sh configs/dfq_digits.py 2` in
    the work dir of a finished run replaced its student.pth and moved
    last_checkpoint back. Every rank now refuses before building anything;
    the earlier run is untouched."""
    proc, work_dir = dist_run
    assert proc.returncode == 0, failure(proc.stdout)
    student = (work_dir / 'student' / 'student.pth').read_bytes()
    marker = (work_dir / 'last_checkpoint').read_text()
    again = run_dist_train('configs/dfq_digits.py', [
        '--work-dir',
        str(work_dir), '--cfg-options',
        f'model.teacher_ckpt={trained_teacher}', 'train_cfg.max_iters=1',
        'train_dataloader.batch_size=16'
    ])
    assert again.returncode != 0
    assert 'WorkDirInUseError' in again.stdout
    assert 'Iter(train)' not in again.stdout
    assert (work_dir / 'student' / 'student.pth').read_bytes() == student
    assert (work_dir / 'last_checkpoint').read_text() == marker


def test_replay_pool_per_rank_trains_and_resumes(trained_teacher, tmp_path):
    """An online generator's replay pool on 2 processes: each rank keeps
    its own (8 images per student step: half the global 16), the
    checkpoint holds rank 0's, and --resume continues from it."""
    from mmdfkd.utils import unpack_state
    work_dir = tmp_path / 'run'

    def run(max_iters, *extra):
        return dist_train('configs/dafl_digits.py', work_dir, [
            *short_run(trained_teacher, max_iters),
            'default_hooks.checkpoint.interval=1',
            "model.schedule=[('generator',1),('student',2)]",
            'model.synthesizer.replay.max_size=40'
        ], *extra)

    def pool(name):
        state = load_untrusted_checkpoint(str(work_dir / name))
        return unpack_state(
            state['state_dict']['synthesizer.replay_pool._extra_state'])

    first = run(2)
    assert first.returncode == 0, failure(first.stdout)
    saved = pool('iter_2.pth')
    assert saved['num_images'] == 2 * 2 * 8
    second = run(3, '--resume')
    assert second.returncode == 0, failure(second.stdout)
    assert 'resumed' in second.stdout.lower()
    resumed = pool('iter_3.pth')
    # 40 kept of 48: the 8 oldest saved left, the rest were resumed with
    assert resumed['num_images'] == 40
    assert (resumed['images'][:24] == saved['images'][8:]).all()
