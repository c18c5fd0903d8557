"""tools/train.py with an online generator's replay pool: reachable from
--cfg-options, its size logged, the pool in the checkpoints and restored
by --resume (the resumed run keeps adding to the pool it stopped with)."""
from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.utils import unpack_state

CONFIG = 'configs/dafl_digits.py'  # 1 generator step, 5 student steps
KEY = 'synthesizer.replay_pool._extra_state'


def options(tiny_options, max_iters):
    return [
        '--cfg-options', *tiny_options, f'train_cfg.max_iters={max_iters}',
        'default_hooks.checkpoint.interval=1',
        'model.synthesizer.replay.max_size=100',
        'model.synthesizer.replay.batch_size=4'
    ]


def pool_images(path):
    state = load_untrusted_checkpoint(str(path))['state_dict'][KEY]
    return unpack_state(state)['images']


def test_replay_pool_trains_and_resumes(tool, tiny_options, tmp_path):
    work_dir = tmp_path / 'run'
    first = tool(['tools/train.py', CONFIG, '--work-dir', str(work_dir),
                  *options(tiny_options, 2)])
    assert first.returncode == 0, first.stdout[-4000:]
    # 5 student batches of 8 a round; logged: the mean over the round
    assert 'synthesis.replay_pool_size: 24.0' in first.stdout
    assert 'synthesis.replay_pool_size: 64.0' in first.stdout
    saved = pool_images(work_dir / 'iter_2.pth')
    assert saved.shape == (80, 1, 8, 8)

    second = tool(['tools/train.py', CONFIG, '--work-dir', str(work_dir),
                   '--resume', *options(tiny_options, 3)])
    assert second.returncode == 0, second.stdout[-4000:]
    assert 'resumed' in second.stdout.lower()
    # 88, 96, then full at 100
    assert 'synthesis.replay_pool_size: 96.8' in second.stdout
    resumed = pool_images(work_dir / 'iter_3.pth')
    # FIFO at 100: the 20 oldest saved images left, the rest stayed first
    assert resumed.shape == (100, 1, 8, 8)
    assert (resumed[:60] == saved[20:]).all()
