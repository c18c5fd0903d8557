"""MemoryBank: a FIFO ring of features, O(n) draws, checkpoints, and
identical banks on all ranks (2 gloo processes)."""
import os
import sys

import pytest
import torch

from mmdfkd.models.synthesizers.memory_bank import MemoryBank
from tests.conftest import ROOT
from tests.process import free_port, run_bounded

WORKER = os.path.join(os.path.dirname(__file__), 'memory_bank_worker.py')


def ids(start, n, dim=2):
    """n rows whose every entry is its id (start, start+1, ...)."""
    return torch.arange(start, start + n, dtype=torch.float32)[:, None] \
        .expand(n, dim).contiguous()


def reference(pushed, size):
    """The newest ``size`` rows, oldest first (what a FIFO keeps)."""
    return torch.cat(pushed)[-size:]


# ----------------------------------------------------------------- writing
@pytest.mark.parametrize('size,batch', [(12, 4), (10, 4), (7, 3)])
def test_fifo_wraps_mid_batch(size, batch):
    bank = MemoryBank(size, 2, batch_size=batch)
    pushed = []
    for step in range(7):
        rows = ids(100 * step, batch)
        bank.push(rows)
        pushed.append(rows)
        total = batch * (step + 1)
        assert len(bank) == min(total, size)
        assert bank.ptr == total % size
        torch.testing.assert_close(bank.ordered(),
                                   reference(pushed, size))


def test_push_larger_than_bank_keeps_newest():
    bank = MemoryBank(5, 2)
    bank.push(ids(0, 3))
    bank.push(ids(10, 12))  # more than the bank: the last 5 rows stay
    assert len(bank) == 5 and bank.ptr == (3 + 12) % 5
    torch.testing.assert_close(bank.ordered(), ids(17, 5))
    bank.push(ids(50, 1))
    torch.testing.assert_close(bank.ordered()[-1], ids(50, 1)[0])


def test_push_detaches_and_converts():
    bank = MemoryBank(4, 2, dtype=torch.float64)
    feats = torch.ones(2, 2, requires_grad=True)
    bank.push(feats * 2)
    assert not bank.bank.requires_grad and bank.bank.dtype == torch.float64
    assert bank.features.sum().item() == 8
    with pytest.raises(ValueError, match=r'shape \(N, 2\)'):
        bank.push(torch.ones(2, 3))


def test_bank_smaller_than_batch_is_refused():
    with pytest.raises(ValueError, match='size=100 is smaller than one push '
                       'of 256'):
        MemoryBank(100, 8, batch_size=256)
    with pytest.raises(ValueError):
        MemoryBank(0, 8)


# ----------------------------------------------------------------- drawing
def test_sample_returns_everything_when_short():
    bank = MemoryBank(10, 2)
    assert bank.sample(4).shape == (0, 2)
    bank.push(ids(0, 3))
    out = bank.sample(5)
    torch.testing.assert_close(out, ids(0, 3))
    out += 1  # a copy, not a view of the bank
    torch.testing.assert_close(bank.features, ids(0, 3))


@pytest.mark.parametrize('filled,n', [(10, 4), (53, 7), (1000, 7)])
def test_sample_without_replacement_is_uniform(filled, n):
    """No duplicates, only filled rows, each with probability n/filled
    (also when n does not divide filled: strata of 2 and 3 rows for 10/4).
    """
    draws = 3000
    bank = MemoryBank(1000, 1)
    bank.push(ids(0, filled, dim=1))
    gen = torch.Generator().manual_seed(0)
    counts = torch.zeros(filled)
    for _ in range(draws):
        out = bank.sample(n, generator=gen)[:, 0].long()
        assert out.shape == (n, ) and out.unique().numel() == n
        assert int(out.min()) >= 0 and int(out.max()) < filled
        counts[out] += 1
    # every row drawn with probability n / filled
    expected = draws * n / filled
    if filled < 1000:
        assert (counts - expected).abs().max() < 5 * expected**0.5
    assert counts.sum() == draws * n


def test_sample_with_replacement():
    bank = MemoryBank(20, 1)
    bank.push(ids(0, 20, dim=1))
    out = bank.sample(15, generator=torch.Generator().manual_seed(1),
                      replacement=True)
    assert out.shape == (15, 1) and out.max() < 20


def test_sample_reproducible_and_costs_o_n(monkeypatch):
    """The same generator state gives the same draw; nothing O(size)
    (randperm, multinomial) is used."""
    bank = MemoryBank(4096, 4)
    bank.push(torch.randn(4096, 4))

    def refuse(*args, **kwargs):
        raise AssertionError('O(size) sampling')

    monkeypatch.setattr(torch, 'randperm', refuse)
    monkeypatch.setattr(torch, 'multinomial', refuse)
    a = bank.sample(64, generator=torch.Generator().manual_seed(3))
    b = bank.sample(64, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    torch.manual_seed(4)
    c = bank.sample(64)
    torch.manual_seed(4)
    torch.testing.assert_close(bank.sample(64), c)


# ------------------------------------------------------------- checkpoints
@pytest.mark.parametrize('pushes', [2, 5])  # part-filled, wrapped
def test_state_dict_roundtrip_weights_only(tmp_path, pushes):
    bank = MemoryBank(10, 2)
    for step in range(pushes):
        bank.push(ids(10 * step, 3))
    path = tmp_path / 'bank.pth'
    torch.save(dict(memory_bank=bank.state_dict()), path)
    state = torch.load(path, weights_only=True)['memory_bank']
    assert state['features'].shape == (len(bank), 2)
    back = MemoryBank(10, 2)
    back.load_state_dict(state)
    assert (back.ptr, back.filled) == (bank.ptr, bank.filled)
    torch.testing.assert_close(back.features, bank.features)
    # both banks go on identically
    bank.push(ids(99, 4))
    back.push(ids(99, 4))
    torch.testing.assert_close(back.bank, bank.bank)


def test_load_into_other_size_keeps_newest_in_order():
    bank = MemoryBank(10, 2)
    for step in range(5):
        bank.push(ids(10 * step, 3))
    small = MemoryBank(4, 2)
    small.load_state_dict(bank.state_dict())
    torch.testing.assert_close(small.ordered(), bank.ordered()[-4:])
    large = MemoryBank(30, 2)
    large.load_state_dict(bank.state_dict())
    torch.testing.assert_close(large.ordered(), bank.ordered())
    with pytest.raises(ValueError, match='3-d'):
        MemoryBank(10, 3).load_state_dict(bank.state_dict())


# -------------------------------------------------------- two processes

def test_two_ranks_hold_the_same_bank(tmp_path):
    if os.path.dirname(WORKER) not in sys.path:
        sys.path.insert(0, os.path.dirname(WORKER))
    from memory_bank_worker import DIM, PUSHES, SIZE, rows
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = run_bounded([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        '--master_addr=127.0.0.1', f'--master_port={free_port()}', WORKER,
        str(tmp_path)
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = [
        torch.load(tmp_path / f'rank{r}.pth', weights_only=True)
        for r in range(2)
    ]
    # what one process pushing rank 0's then rank 1's rows would hold
    expected = MemoryBank(SIZE, DIM)
    for push in range(PUSHES):
        expected.push(torch.cat([rows(push, 0), rows(push, 1)]))
    for r in range(2):
        state = out[r]['state']
        assert (state['ptr'], state['filled']) == (expected.ptr,
                                                   expected.filled)
        torch.testing.assert_close(state['features'], expected.features)
        torch.testing.assert_close(out[r]['draw'], out[0]['draw'])
    # both ranks' rows are in the bank: 6 per push, ring of 10 wrapped
    assert {int(v) // 100 % 10 for v in expected.features[:, 0]} == {0, 1}
