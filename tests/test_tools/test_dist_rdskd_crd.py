"""RDSKD's stage switch and snapshots, and CRD's DDP heads and gathered
queue, on two CPU processes (gloo) through tools/dist_train.sh."""
import torch

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from tests.tool_runs import dist_train, short_run
from tests.test_tools.test_dist_train import failure


def test_rdskd_two_stages_on_two_processes_with_resume(
        trained_teacher, tmp_path):
    work_dir = tmp_path / 'run'

    def run(max_iters, *extra):
        return dist_train(
            'configs/rdskd_digits.py', work_dir, [
                *short_run(trained_teacher, max_iters),
                'default_hooks.checkpoint.interval=1',
                'default_hooks.checkpoint.max_keep_ckpts=-1',
                'model.schedule.0.rounds=2',
                'model.generator_losses.onehot.interval=1',
                'model.generator_losses.balance.interval=1',
                'param_scheduler=None'
            ], *extra)

    first = run(3)
    assert first.returncode == 0, failure(first.stdout)
    second = run(4, '--resume')
    assert second.returncode == 0, failure(second.stdout)
    assert 'resumed' in second.stdout.lower()
    states = [
        load_untrusted_checkpoint(str(work_dir / f'iter_{i}.pth'))
        ['state_dict'] for i in (1, 2, 3, 4)
    ]
    gen = [k for k in states[0] if k.startswith('synthesizer.generator.')]
    assert gen
    # iteration 2 (stage 1) trained the generator; 3 and the resumed 4
    # (stage 2) did not, and kept its BN statistics (eval mode)
    assert any(not torch.equal(states[0][k], states[1][k]) for k in gen
               if states[0][k].is_floating_point())
    for k in gen:
        assert torch.equal(states[1][k], states[3][k]), k
    assert not torch.equal(states[2]['student.head.fc.weight'],
                           states[3]['student.head.fc.weight'])
    # snapshots (an epoch of 1 update): the second stage-1 update took the
    # global mean of the first as its snapshot; stage 2 keeps it
    snap = 'generator_losses.onehot.snapshot'
    assert torch.isnan(states[0][snap])
    assert torch.isfinite(states[1][snap])
    assert torch.equal(states[1][snap], states[3][snap])


def test_kd_crd_on_two_processes(trained_teacher, tmp_path):
    work_dir = tmp_path / 'run'
    proc = dist_train('configs/kd_crd_digits.py', work_dir, [
        f'model.teacher_ckpt={trained_teacher}', 'train_cfg.max_iters=2',
        'train_dataloader.batch_size=8', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2'
    ])
    assert proc.returncode == 0, failure(proc.stdout)
    state = load_untrusted_checkpoint(str(work_dir / 'iter_2.pth'))
    state = state['state_dict']
    crd = 'student_losses.crd.'
    # both ranks' embeddings were pushed: 2 steps × 2 ranks × 8 samples,
    # each with its own dataset index (the samplers split the data)
    assert int(state[crd + 'queue_len']) == 32
    idx = state[crd + 'queue_idx'][:32]
    assert len(set(idx.tolist())) == 32 and int(idx.min()) >= 0
    # the heads' DDP wrappers stay out of the checkpoint
    assert crd + 'embed_student.weight' in state
    assert not [k for k in state if k.startswith(crd) and '.module.' in k]
