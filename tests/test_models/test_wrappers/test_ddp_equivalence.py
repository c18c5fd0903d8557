"""2 processes × batch B give the losses and weights of 1 process × 2B fed
the same latents (gloo on CPU)."""
import os
import sys

import torch

from tests.conftest import ROOT
from tests.process import free_port, run_bounded

WORKER = os.path.join(os.path.dirname(__file__), 'ddp_equivalence_worker.py')



def run(cmd, out):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = run_bounded(
        cmd + [WORKER, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(out, weights_only=True)


def test_two_processes_match_one(tmp_path):
    one = run([sys.executable], tmp_path / 'one.pth')
    two = run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        '--master_addr=127.0.0.1', f'--master_port={free_port()}'
    ], tmp_path / 'two.pth')
    assert len(one['logs']) == len(two['logs']) == 3
    for step_one, step_two in zip(one['logs'], two['logs']):
        assert step_one.keys() == step_two.keys()
        for key in step_one:
            torch.testing.assert_close(
                step_two[key], step_one[key], rtol=1e-4, atol=1e-5,
                msg=lambda m, key=key: f'{key}: {m}')
    # the runs trained something, and to the same weights
    assert one['logs'][0]['generator.loss'] != one['logs'][-1][
        'generator.loss']
    assert one['state'].keys() == two['state'].keys()
    for key, value in one['state'].items():
        torch.testing.assert_close(
            two['state'][key], value, rtol=1e-4, atol=1e-5,
            msg=lambda m, key=key: f'{key}: {m}')
