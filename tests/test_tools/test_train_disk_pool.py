"""tools/train.py with a DiskPool: shards in <work_dir>/pool, checkpoints
listing them (no image), --resume continuing with the same shards, and a
clear refusal when a shard was modified or a fresh run meets shards."""
import hashlib

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.utils import unpack_state

CONFIG = 'configs/deepinv_digits.py'
KEY = 'synthesizer.pool._extra_state'


def options(teacher, max_iters):
    return [
        '--cfg-options', f'model.teacher_ckpt={teacher}',
        'train_dataloader.batch_size=8', f'train_cfg.max_iters={max_iters}',
        'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1', 'model.synthesizer.iterations=2',
        "model.schedule=[('synthesis',1),('student',2)]",
        'model.synthesizer.pool.type=DiskPool',
        'model.synthesizer.pool.shard_size=4'
    ]


def pool_state(path):
    return unpack_state(load_untrusted_checkpoint(str(path))['state_dict']
                        [KEY])


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_disk_pool_trains_and_resumes(tool, trained_teacher, tmp_path):
    work_dir = tmp_path / 'run'
    first = tool(['tools/train.py', CONFIG, '--work-dir', str(work_dir),
                  *options(trained_teacher, 2)])
    assert first.returncode == 0, first.stdout[-4000:]
    state = pool_state(work_dir / 'iter_2.pth')
    assert state['format'] == 'mmdfkd-disk-pool' and 'images' not in state
    assert state['num_images'] == 16  # 2 rounds of 8, shards of 4
    files = [s['file'] for s in state['shards']]
    assert files == [f'rank_0/shard_{i:05d}.pt' for i in range(4)]
    shards = work_dir / 'pool'
    before = {f: sha(shards / f) for f in files}
    assert [s['sha256'] for s in state['shards']] == list(before.values())
    # the student trained on the pool: its size is logged
    assert 'synthesis.pool_size: 16.0' in first.stdout

    second = tool(['tools/train.py', CONFIG, '--work-dir', str(work_dir),
                   '--resume', *options(trained_teacher, 3)])
    assert second.returncode == 0, second.stdout[-4000:]
    assert 'resumed' in second.stdout.lower()
    state = pool_state(work_dir / 'iter_3.pth')
    assert [s['file'] for s in state['shards']][:4] == files
    assert state['num_images'] == 24
    assert {f: sha(shards / f) for f in files} == before  # untouched
    assert 'synthesis.pool_size: 24.0' in second.stdout

    # a shard modified after the fact: --resume stops, naming it
    (shards / files[1]).write_bytes(b'x' * (shards / files[1]).stat().st_size)
    third = tool(['tools/train.py', CONFIG, '--work-dir', str(work_dir),
                  '--resume', *options(trained_teacher, 4)])
    assert third.returncode != 0
    assert f'{files[1]} was modified' in third.stdout
    assert 'Iter(train) [4/4]' not in third.stdout

    # a fresh run into the pool of another (--overwrite drops checkpoints,
    # never shards): refused before synthesizing
    fresh = tool(['tools/train.py', CONFIG, '--work-dir', str(work_dir),
                  '--overwrite', *options(trained_teacher, 1)])
    assert fresh.returncode != 0
    assert 'never deleted for you' in fresh.stdout
    assert (shards / files[0]).is_file()
