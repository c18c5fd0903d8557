"""``mmdfkd.compat.checkpoint``: weights-only loading of runner checkpoints."""
import os
import pickle
from pathlib import Path
from typing import Any, List, Tuple

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

import mmdfkd  # noqa: F401  (applies the fixes)
from mmdfkd.compat import checkpoint as ckpt_compat
from mmdfkd.compat.checkpoint import (CorruptCheckpointError,
                                      UntrustedCheckpointError,
                                      load_untrusted_checkpoint)


class _Data(Dataset):
    """Eight fixed samples with a dataset_meta, as real datasets have."""

    metainfo = dict(classes=('a', 'b'))

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=torch.full((3, ), float(i)), labels=i % 2)


def _make_model() -> Any:
    from mmengine.model import BaseModel

    class Toy(BaseModel):

        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, inputs, labels=None, mode='tensor'):
            out = self.lin(inputs)
            if mode == 'loss':
                return dict(loss=nn.functional.cross_entropy(out, labels))
            if mode == 'predict':
                return list(zip(out.argmax(1).tolist(), labels.tolist()))
            return out

    return Toy()


def _register_metric() -> str:
    from mmengine.evaluator import BaseMetric
    from mmengine.registry import METRICS

    @METRICS.register_module(name='CompatNumpyAcc', force=True)
    class CompatNumpyAcc(BaseMetric):
        """Returns numpy values, so numpy objects reach the message hub."""

        def process(self, data_batch, data_samples):
            self.results.extend(np.float64(p == g) for p, g in data_samples)

        def compute_metrics(self, results):
            return dict(acc=np.mean(results), n=np.int64(len(results)))

    return 'CompatNumpyAcc'


def _runner(work_dir: Path, max_iters: int, resume_from: str = None) -> Any:
    from mmengine.runner import Runner
    loader = dict(dataset=_Data(), batch_size=4, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    return Runner(
        model=_make_model(), work_dir=str(work_dir),
        train_dataloader=loader, val_dataloader=loader,
        val_evaluator=dict(type=_register_metric()), val_cfg=dict(),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1],
                             by_epoch=False),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False,
                            save_best='acc', rule='greater'),
            logger=dict(type='LoggerHook', interval=1)),
        load_from=resume_from, resume=resume_from is not None,
        default_scope='mmengine')


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> Tuple[Path, Any]:
    """A runner trained 2 iterations, and its iteration-2 checkpoint."""
    work = tmp_path_factory.mktemp('runner')
    runner = _runner(work, max_iters=2)
    runner.train()
    path = work / 'iter_2.pth'
    assert path.is_file()
    return path, runner


def _allow_list_names() -> List[str]:
    names = []
    for item in ckpt_compat.allow_list():
        if isinstance(item, tuple):
            names.append(item[1])
        else:
            names.append(f'{item.__module__}.{item.__qualname__}')
    return names


def test_runner_checkpoint_needs_only_allow_listed_globals(
        trained, run_python):
    path, _ = trained
    # A fresh interpreter without mmdfkd: torch.load refuses the file and
    # lists the globals it carries.
    result = run_python(f'''
        import torch, pickle
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
            {str(path)!r})
        try:
            torch.load({str(path)!r})
            error = None
        except pickle.UnpicklingError as err:
            error = str(err)
        print('RESULT:' + json.dumps(dict(unsafe=sorted(unsafe),
                                          error=error)))
    ''', timeout=60)
    assert result['error'] is not None
    assert 'HistoryBuffer' in result['error']
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in result['unsafe']
    assert set(result['unsafe']) <= set(_allow_list_names())
    # With the allow-list registered nothing in it is unsafe any more.
    assert torch.serialization.get_unsafe_globals_in_checkpoint(
        str(path)) == []


def test_load_checkpoint_and_resume_under_default_weights_only(
        trained, tmp_path):
    from mmengine.logging import HistoryBuffer
    from mmengine.runner import load_checkpoint
    path, first = trained
    raw = torch.load(path)  # the torch >= 2.6 default: weights_only=True
    hub = raw['message_hub']
    assert isinstance(hub['log_scalars']['train/loss'], HistoryBuffer)
    assert isinstance(hub['runtime_info']['best_score'], np.float64)

    model = _make_model()
    load_checkpoint(model, str(path), map_location='cpu')
    for key, value in first.model.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)

    second = _runner(tmp_path, max_iters=3, resume_from=str(path))
    second.train()
    assert second.iter == 3
    # rule='greater': the resumed best can only improve (iter 3 validates).
    assert second.message_hub.get_info('best_score') >= float(
        hub['runtime_info']['best_score'])
    assert (second.message_hub.get_scalar('train/loss')
            .data[0].size) == 3  # 2 resumed values + 1 new one


def test_load_untrusted_checkpoint_reads_a_runner_checkpoint(trained):
    path, _ = trained
    loaded = load_untrusted_checkpoint(path)
    assert set(loaded) >= {'meta', 'state_dict', 'message_hub', 'optimizer'}
    assert loaded['meta']['iter'] == 2


class _OpenPayload:
    """Unpickling this creates ``marker`` (via ``open``)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


class _SystemPayload:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _GetattrPayload:
    """Asks the unpickler for ``getattr(HistoryBuffer.min, '__globals__')``."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer.min, '__globals__'))


@pytest.mark.parametrize('payload_cls', [_OpenPayload, _SystemPayload])
@pytest.mark.parametrize('zip_format', [True, False])
def test_malicious_checkpoint_is_refused_and_never_runs(
        tmp_path, payload_cls, zip_format):
    from mmengine.runner import load_checkpoint

    # The payload is live: plain pickle runs it.
    live = tmp_path / 'live_marker'
    pickle.loads(pickle.dumps(payload_cls(str(live))))
    assert live.exists()

    marker = tmp_path / 'marker'
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(2)),
                    meta=payload_cls(str(marker))), evil,
               _use_new_zipfile_serialization=zip_format)
    with pytest.raises(UntrustedCheckpointError) as info:
        load_untrusted_checkpoint(evil)
    message = str(info.value)
    assert str(evil) in message
    assert 'not a plain weights checkpoint' in message
    assert 'refused' in message
    # mmengine's own loader (torch's default) refuses it too: no fallback.
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(nn.Linear(2, 2), str(evil))
    assert not marker.exists()


def test_getattr_is_restricted_to_history_buffer_methods(tmp_path):
    evil = tmp_path / 'getattr.pth'
    torch.save(dict(x=_GetattrPayload()), evil)
    with pytest.raises(UntrustedCheckpointError, match='not allowed'):
        load_untrusted_checkpoint(evil)
    from mmengine.logging import HistoryBuffer
    assert ckpt_compat.history_buffer_method(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    for obj, name in [(HistoryBuffer, '__init__'), (np.ndarray, 'tofile'),
                      (os, 'system')]:
        with pytest.raises(pickle.UnpicklingError):
            ckpt_compat.history_buffer_method(obj, name)


def test_missing_corrupt_and_non_dict_files(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_untrusted_checkpoint(missing)

    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(os.urandom(256))
    truncated = tmp_path / 'truncated.pth'
    good = tmp_path / 'good.pth'
    torch.save(dict(w=torch.arange(1000.)), good)
    truncated.write_bytes(good.read_bytes()[:700])
    tensor_only = tmp_path / 'tensor.pth'
    torch.save(torch.zeros(2), tensor_only)
    for bad in (garbage, truncated):
        with pytest.raises(CorruptCheckpointError) as info:
            load_untrusted_checkpoint(bad)
        assert f'{bad} is corrupt or incomplete' in str(info.value)
        assert 'refused' not in str(info.value)
    with pytest.raises(UntrustedCheckpointError,
                       match='not a plain weights checkpoint'):
        load_untrusted_checkpoint(tensor_only)
    assert isinstance(UntrustedCheckpointError('x'), ValueError)
    assert isinstance(CorruptCheckpointError('x'), ValueError)
    assert load_untrusted_checkpoint(str(good))['w'][-1].item() == 999.


def test_every_truncation_names_the_file_as_incomplete(tmp_path):
    """Cut anywhere, torch says 'Invalid argument' (OSError), 'failed
    finding central directory', or even its weights-only refusal; every
    cut is reported as the named file being corrupt or incomplete."""
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict={f'w{i}': torch.randn(64, 64)
                                for i in range(4)}), good)
    data = good.read_bytes()
    raw_errors = set()
    cut_file = tmp_path / 'cut.pth'
    for cut in [0, 3, 10, 40] + list(range(100, len(data), len(data) // 23)):
        cut_file.write_bytes(data[:cut])
        try:
            torch.load(cut_file, weights_only=True)
        except Exception as err:  # noqa: BLE001
            raw_errors.add(type(err).__name__)
        with pytest.raises(CorruptCheckpointError,
                           match=f'{cut_file} is corrupt or incomplete'):
            load_untrusted_checkpoint(cut_file)
    assert {'OSError', 'RuntimeError'} <= raw_errors, raw_errors


def test_apply_is_idempotent():
    count = len(torch.serialization.get_safe_globals())
    assert ckpt_compat.apply() is True
    assert len(torch.serialization.get_safe_globals()) == count


def test_inert_before_torch_2_6(monkeypatch):
    from torch.torch_version import TorchVersion
    calls = []
    monkeypatch.setattr(torch, '__version__', TorchVersion('2.5.1'))
    monkeypatch.setattr(torch.serialization, 'add_safe_globals',
                        lambda items: calls.append(items))
    assert ckpt_compat.needs_fix() is False
    assert ckpt_compat.apply() is False
    assert calls == []
