"""A segmentation data-free run (DDAD, DeepLabV3 teacher and student) on
two CPU processes (gloo) through tools/dist_train.sh."""
from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from tests.test_models.seg_nets import random_street_teacher, tiny_scenes
from tests.tool_runs import run_dist_train


def test_seg_ddad_on_two_processes(tmp_path):
    root = tiny_scenes(tmp_path / 'scenes')
    teacher = random_street_teacher(tmp_path / 'teacher.pth')
    work_dir = tmp_path / 'run'
    proc = run_dist_train('configs/ddad_deeplabv3_street_scenes.py', [
        '--work-dir',
        str(work_dir), '--cfg-options', f'model.teacher_ckpt={teacher}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=4', 'generator.img_size=32',
        'model.synthesizer.generator.img_size=32',
        "model.schedule=[('student',1),('generator',1)]",
        'default_hooks.logger.interval=1'
    ])
    out = proc.stdout
    assert proc.returncode == 0, out[-6000:]
    assert 'Distributed training: True' in out
    assert 'mIoU' in out  # validated with IoUMetric on the real val split
    assert out.count('student exported:') == 1
    state = load_untrusted_checkpoint(str(work_dir / 'iter_2.pth'))
    keys = state['state_dict']
    assert 'student.decode_head.conv_seg.weight' in keys
    assert 'synthesizer.generator.project.weight' in keys
    assert not [
        k for k in keys
        if '.module.' in k and not k.startswith('student_ema.module.')
    ]
    assert (work_dir / 'student' / 'student.pth').is_file()
