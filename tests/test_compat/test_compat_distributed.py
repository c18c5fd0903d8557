"""``mmdfkd.compat.distributed``: CPU/gloo DDP through mmengine."""
import json
import os
import socket
import sys
from pathlib import Path
from unittest import mock

import pytest
import torch
import torch.distributed as torch_dist
from torch import nn

import mmdfkd  # noqa: F401  (applies the fixes)
from mmdfkd.compat import distributed
from tests.process import run_bounded

WORKER = Path(__file__).with_name('compat_ddp_worker.py')


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU (gloo) path')
def test_two_process_gloo_training_on_cpu(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONDONTWRITEBYTECODE='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1',
           '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(_free_port()), str(WORKER), str(tmp_path)]
    proc = run_bounded(cmd, capture_output=True, text=True, timeout=150,
                          env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    reports = [json.loads((tmp_path / f'rank{r}.json').read_text())
               for r in range(2)]
    for rank, report in enumerate(reports):
        assert report['rank'] == rank and report['world_size'] == 2
        assert report['backend'] == 'gloo'  # 'nccl' was asked for
        assert report['all_reduce'] == 3.0  # 1 + 2
        assert report['ddp_device_ids'] is None  # [LOCAL_RANK] was passed
        assert report['grads_synced'] is True
        assert report['separate_children'] == ['MMDistributedDataParallel'] * 2
        assert report['separate_device_ids'] == [None, None]
        assert report['runner_wrapper'] == 'MMDistributedDataParallel'
        assert report['runner_iter'] == 2
        assert report['runner_weights_synced'] is True
        assert report['destroyed'] is True
        assert report['initialized_after'] is False
        assert report['warned_nccl_to_gloo'] is True


@pytest.fixture
def dist_env(monkeypatch):
    """Rank variables as torchrun sets them, and a recorded process group."""
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('LOCAL_RANK', '1')
    monkeypatch.setenv('WORLD_SIZE', '2')
    init = mock.Mock()
    set_device = mock.Mock()
    monkeypatch.setattr(torch_dist, 'init_process_group', init)
    monkeypatch.setattr(torch.cuda, 'set_device', set_device)
    return init, set_device


def test_with_cuda_the_original_init_runs_unchanged(monkeypatch, dist_env):
    import mmengine.dist.utils as dist_utils
    init, set_device = dist_env
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    patched = dist_utils._init_dist_pytorch
    assert patched.__wrapped__.__module__ == 'mmengine.dist.utils'
    patched('nccl', timeout=None)
    set_device.assert_called_once_with(1)  # mmengine's own CUDA call
    init.assert_called_once_with(backend='nccl', timeout=None)

    original = mock.Mock()
    distributed._wrap_init_dist_pytorch(original)('nccl', init_backend='torch')
    original.assert_called_once_with('nccl', init_backend='torch')


def test_without_cuda_gloo_is_used_and_the_device_call_skipped(
        monkeypatch, dist_env):
    import mmengine.dist.utils as dist_utils
    import mmengine.logging
    init, set_device = dist_env
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(distributed, '_warned', False)
    logged = []
    monkeypatch.setattr(mmengine.logging, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    dist_utils._init_dist_pytorch('nccl')
    dist_utils._init_dist_pytorch('nccl')
    dist_utils._init_dist_pytorch('gloo', init_method='env://')
    set_device.assert_not_called()
    assert init.call_args_list == [
        mock.call(backend='gloo'), mock.call(backend='gloo'),
        mock.call(backend='gloo', init_method='env://')]
    assert len(logged) == 1 and 'gloo' in logged[0]
    # Other init backends (deepspeed, colossalai) go to mmengine unchanged.
    original = mock.Mock()
    distributed._wrap_init_dist_pytorch(original)('nccl',
                                                  init_backend='deepspeed')
    original.assert_called_once_with('nccl', init_backend='deepspeed')


def test_ddp_device_ids_dropped_only_for_cpu_modules():
    original = mock.Mock()
    init = distributed._wrap_ddp_init(original)
    cpu = nn.Linear(2, 2)
    init('self', cpu, device_ids=[0], output_device=0, broadcast_buffers=False)
    original.assert_called_with('self', cpu, device_ids=None,
                                broadcast_buffers=False)
    # Parameters not on the CPU (meta stands in for cuda): kept.
    gpu_like = nn.Linear(2, 2, device='meta')
    init('self', module=gpu_like, device_ids=[0])
    original.assert_called_with('self', gpu_like, device_ids=[0])
    # Nothing asked: nothing changed.
    init('self', cpu)
    original.assert_called_with('self', cpu)
    assert distributed.module_on_cpu(cpu)
    assert not distributed.module_on_cpu(gpu_like)
    assert not distributed.module_on_cpu(nn.ReLU())  # no parameters


def test_mmengine_wrappers_are_patched_once():
    import mmengine.dist.utils as dist_utils
    from mmengine.model import (MMDistributedDataParallel,
                                MMSeparateDistributedDataParallel)
    before = (dist_utils._init_dist_pytorch,
              MMDistributedDataParallel.__init__,
              MMSeparateDistributedDataParallel.__init__)
    for fn in before:
        assert getattr(fn, '_mmdfkd_compat', False)
    assert distributed.apply() is False  # idempotent
    assert (dist_utils._init_dist_pytorch, MMDistributedDataParallel.__init__,
            MMSeparateDistributedDataParallel.__init__) == before


def test_destroy_process_group_cleanly(monkeypatch):
    assert not torch_dist.is_initialized()
    assert distributed.destroy_process_group_cleanly() is False
    # Initialised: barrier, then destroy, even when the barrier fails.
    destroy = mock.Mock()
    monkeypatch.setattr(torch_dist, 'is_initialized', lambda: True)
    monkeypatch.setattr(torch_dist, 'destroy_process_group', destroy)
    monkeypatch.setattr(torch_dist, 'barrier', mock.Mock())
    assert distributed.destroy_process_group_cleanly() is True
    destroy.assert_called_once_with()
    monkeypatch.setattr(torch_dist, 'barrier',
                        mock.Mock(side_effect=RuntimeError('peer gone')))
    with pytest.raises(RuntimeError, match='peer gone'):
        distributed.destroy_process_group_cleanly()
    assert destroy.call_count == 2
    # A failing rank skips the barrier (its peers may be elsewhere).
    assert distributed.destroy_process_group_cleanly(
        synchronize=False) is True
    assert destroy.call_count == 3
