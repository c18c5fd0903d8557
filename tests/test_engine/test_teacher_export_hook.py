"""TeacherExportHook: a teacher run writes <work_dir>/teacher.pth, the
weights alone, which the distiller loads strictly."""
import os
import os.path as osp

import torch

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.models.algorithms.networks import (build_network,
                                               load_teacher_weights)
from tests.conftest import load_cfg


def test_teacher_run_writes_weights_only(trained_teacher):
    """The session's teacher comes from configs/teachers/digits_convnet.py
    run by the standard runner: the hook wrote the file."""
    assert osp.basename(trained_teacher) == 'teacher.pth'
    ckpt = torch.load(trained_teacher, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'state_dict'}
    teacher = build_network(
        load_cfg('configs/_base_/models/digits_teacher.py').teacher.to_dict(),
        'teacher')
    assert set(ckpt['state_dict']) == set(teacher.state_dict())
    load_teacher_weights(teacher, trained_teacher)  # strict: no error
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, ckpt['state_dict'][key])
    work_dir = osp.dirname(trained_teacher)
    assert not [f for f in os.listdir(work_dir) if f.endswith('.tmp')]
    # the final weights: those of the run's last checkpoint
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        last = load_untrusted_checkpoint(f.read().strip())
    for key, value in last['state_dict'].items():
        assert torch.equal(value, ckpt['state_dict'][key])
