"""ContrastiveMemoryBankHook: the bank is created for the run, checked
against the batch, saved in checkpoints and restored on resume."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmdfkd.compat.checkpoint import load_untrusted_checkpoint
from mmdfkd.engine.hooks import ContrastiveMemoryBankHook
from mmdfkd.models.synthesizers.memory_bank import MemoryBank
from mmdfkd.registry import HOOKS

DIM = 4
BATCH = 4
SIZE = 10  # not a multiple of the batch: the ring wraps mid-batch


class FakeSynthesizer(nn.Module):
    feature_dim = DIM

    def __init__(self):
        super().__init__()
        self.memory_bank = None
        self.num_negatives = None


class BankModel(BaseModel):
    """Pushes features of its inputs into the synthesizer's bank every
    step and records the bank as it was before the push."""

    def __init__(self):
        super().__init__()
        self.synthesizer = FakeSynthesizer()
        self.lin = nn.Linear(2, 1)
        self.seen = []

    def forward(self, inputs, mode='tensor'):
        bank = self.synthesizer.memory_bank
        self.seen.append(bank.state_dict())
        feats = torch.cat([inputs, inputs**2], dim=1)
        bank.push(feats)
        negatives = bank.sample(self.synthesizer.num_negatives)
        loss = (self.lin(inputs)**2).mean() + 0 * negatives.sum()
        return dict(loss=loss)


class Points(Dataset):

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return dict(inputs=torch.tensor([float(i), 1.0 + i / 10]))


def fake_runner(model, **kw):
    kw.setdefault('cfg', {})
    kw.setdefault('train_dataloader', SimpleNamespace(batch_size=BATCH))
    kw.setdefault('_resume', True)
    kw.setdefault('logger', logging.getLogger('memory_bank_hook_test'))
    return SimpleNamespace(model=model, **kw)


def assert_same_state(a, b):
    assert (a['size'], a['dim'], a['ptr'], a['filled']) == (
        b['size'], b['dim'], b['ptr'], b['filled'])
    torch.testing.assert_close(a['features'], b['features'])


# -------------------------------------------------------------- unit level
def test_registered():
    assert HOOKS.get('ContrastiveMemoryBankHook') is ContrastiveMemoryBankHook


def test_attaches_bank_on_model_device():
    model = BankModel()
    hook = ContrastiveMemoryBankHook(size=SIZE, num_negatives=3)
    hook.before_train(fake_runner(model))
    bank = model.synthesizer.memory_bank
    assert isinstance(bank, MemoryBank) and bank is hook.bank
    assert (bank.size, bank.dim, len(bank)) == (SIZE, DIM, 0)
    assert bank.device == model.lin.weight.device
    assert model.synthesizer.num_negatives == 3
    # a plain attribute: not in the model's state_dict
    assert not any('memory_bank' in k for k in model.state_dict())


def test_bank_smaller_than_global_batch_is_refused():
    hook = ContrastiveMemoryBankHook(size=100, num_negatives=10)
    with pytest.raises(ValueError, match=r'size=100\) is smaller than one '
                       r'push of 256.*at least 256'):
        hook.before_train(
            fake_runner(BankModel(), cfg=dict(global_batch_size=256)))
    # without global_batch_size: the dataloader batch × processes
    with pytest.raises(ValueError, match='push of 128'):
        hook.before_train(
            fake_runner(
                BankModel(),
                train_dataloader=SimpleNamespace(batch_size=128)))
    with pytest.raises(ValueError, match='num_negatives=50 exceeds'):
        ContrastiveMemoryBankHook(size=40, num_negatives=50)


def test_model_without_feature_dim_is_refused():
    model = BankModel()
    model.synthesizer = nn.Identity()
    with pytest.raises(TypeError, match='feature_dim'):
        ContrastiveMemoryBankHook(size=SIZE, num_negatives=2).before_train(
            fake_runner(model))


def test_loaded_before_the_bank_exists():
    """MMEngine resumes before ``before_train``: the state waits."""
    saved = MemoryBank(SIZE, DIM)
    saved.push(torch.randn(13, DIM))
    checkpoint = dict(memory_bank=saved.state_dict())
    model = BankModel()
    runner = fake_runner(model)
    hook = ContrastiveMemoryBankHook(size=SIZE, num_negatives=2)
    hook.after_load_checkpoint(runner, checkpoint)
    assert hook.bank is None
    hook.before_train(runner)
    assert_same_state(model.synthesizer.memory_bank.state_dict(),
                      saved.state_dict())
    # loaded after the bank exists: restored at once
    other = MemoryBank(SIZE, DIM)
    other.push(torch.randn(3, DIM))
    hook.after_load_checkpoint(runner, dict(memory_bank=other.state_dict()))
    assert_same_state(hook.bank.state_dict(), other.state_dict())


def test_not_restored_without_resume(caplog):
    saved = MemoryBank(SIZE, DIM)
    saved.push(torch.randn(5, DIM))
    hook = ContrastiveMemoryBankHook(size=SIZE, num_negatives=2)
    hook.after_load_checkpoint(
        fake_runner(BankModel(), _resume=False),
        dict(memory_bank=saved.state_dict()))
    hook.before_train(fake_runner(BankModel()))
    assert len(hook.bank) == 0
    with caplog.at_level(logging.WARNING, 'memory_bank_hook_test'):
        hook.after_load_checkpoint(fake_runner(BankModel()), {})
    assert 'no memory bank' in caplog.text


# ------------------------------------------- a real runner, saved + resumed
def run(work_dir, max_iters, resume_from=None):
    from mmengine.runner import Runner
    runner = Runner(
        model=BankModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=Points(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            batch_size=BATCH,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', by_epoch=False,
                            interval=3),
            logger=dict(type='LoggerHook', interval=1000)),
        custom_hooks=[
            dict(type='mmdfkd.ContrastiveMemoryBankHook', size=SIZE,
                 num_negatives=3)
        ],
        load_from=resume_from,
        resume=resume_from is not None,
        log_level='WARNING',
        experiment_name=f'bank_{work_dir.name}_{max_iters}')
    runner.train()
    return runner


def test_bank_survives_save_and_resume(tmp_path):
    full = run(tmp_path / 'full', 5)
    full_bank = full.model.synthesizer.memory_bank
    assert len(full_bank) == SIZE and full_bank.ptr == 5 * BATCH % SIZE

    ckpt = load_untrusted_checkpoint(str(tmp_path / 'full' / 'iter_3.pth'))
    saved = ckpt['memory_bank']
    assert (saved['ptr'], saved['filled']) == (3 * BATCH % SIZE, SIZE)
    assert_same_state(saved, full.model.seen[3])  # the bank after 3 steps
    # tensors and ints only
    torch.save(saved, tmp_path / 'bank.pth')
    torch.load(tmp_path / 'bank.pth', weights_only=True)

    resumed = run(tmp_path / 'resumed', 5,
                  resume_from=str(tmp_path / 'full' / 'iter_3.pth'))
    assert len(resumed.model.seen) == 2
    assert_same_state(resumed.model.seen[0], saved)
    assert_same_state(resumed.model.synthesizer.memory_bank.state_dict(),
                      full_bank.state_dict())
    torch.testing.assert_close(resumed.model.synthesizer.memory_bank.bank,
                               full_bank.bank)
