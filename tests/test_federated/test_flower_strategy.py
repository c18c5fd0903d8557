"""The Flower strategy on real Flower messages, without a network: the
generator travels as a second ArrayRecord, label counts come back in a
ConfigRecord, a failed or silent node is a reported dropout."""
import copy
import importlib
import sys

import numpy as np
import pytest
import torch

pytest.importorskip('flwr', reason='Flower is the optional extra "fed"')

from flwr.app import (ConfigRecord, Error, Message,  # noqa: E402
                      MetricRecord, RecordDict)
from flwr.supercore.task_identity import TaskIdentity  # noqa: E402

from mmdfkd.federated import (FeatureGenerator, FedClassifier,  # noqa: E402
                              FedGenServer)
from mmdfkd.federated.flower.records import (counts_record,  # noqa: E402
                                             to_record, to_state)
from mmdfkd.federated.flower.strategy import FedGenStrategy  # noqa: E402


class FakeGrid:
    """The two Grid calls FedAvg's node sampling makes."""

    def __init__(self, nodes):
        self.nodes = nodes

    def get_node_ids(self):
        return list(self.nodes)


@pytest.fixture
def server_identity(monkeypatch):
    # a message needs the id of the run it belongs to
    monkeypatch.setattr(TaskIdentity, '_run_id', 1)
    monkeypatch.setattr(TaskIdentity, '_node_id', 0)
    monkeypatch.setattr(TaskIdentity, '_task_id', 1)


def make_server():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=3, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(3, latent_dim=8, noise_dim=4, hidden_dim=8)
    return FedGenServer(model, gen, 3, gen_steps=2, gen_batch_size=8)


def reply(msg, seed, counts):
    torch.manual_seed(seed)
    model = FedClassifier(num_classes=3, latent_dim=8, base_channels=4)
    return Message(
        content=RecordDict({
            'arrays': to_record(model.state_dict()),
            'metrics': MetricRecord({
                'num-examples': int(sum(counts)),
                'loss_ce': 1.0
            }),
            'label-counts': counts_record(np.asarray(counts)),
        }),
        reply_to=msg), model.state_dict()


def test_round_through_the_strategy(server_identity):
    server = make_server()
    strategy = FedGenStrategy(server, min_train_nodes=3,
                              min_available_nodes=3)
    grid = FakeGrid([7, 8, 9])
    initial = to_record(server.model.state_dict())
    msgs = list(strategy.configure_train(1, initial, ConfigRecord(), grid))
    assert sorted(m.metadata.dst_node_id for m in msgs) == [7, 8, 9]
    # round 1: no trained generator yet
    assert all('generator' not in m.content for m in msgs)
    assert msgs[0].content['config']['reg-weight'] == 0.0

    by_node = {m.metadata.dst_node_id: m for m in msgs}
    r7, s7 = reply(by_node[7], 1, [4, 0, 2])
    r8, s8 = reply(by_node[8], 2, [0, 10, 2])
    failed = Message(Error(code=1, reason='client crashed'),
                     reply_to=by_node[9])
    arrays, metrics = strategy.aggregate_train(1, [r7, r8, failed])
    state = to_state(arrays)
    for key in state:
        assert torch.allclose(state[key], (6 * s7[key] + 12 * s8[key]) / 18,
                              atol=1e-6)
    log = strategy.round_logs[-1]
    assert sorted(log.participants) == [7, 8]
    assert 'client crashed' in log.dropouts[9]
    assert metrics['num_examples'] == 18

    # round 2: the trained generator is the second ArrayRecord
    msgs = list(strategy.configure_train(2, arrays, ConfigRecord(), grid))
    sent = to_state(msgs[0].content['generator'])
    for key, value in server.generator.state_dict().items():
        assert torch.equal(sent[key], value)
    conf = msgs[0].content['config']
    assert conf['reg-weight'] == pytest.approx(0.98)
    assert conf['label-probs'] == pytest.approx([4 / 18, 10 / 18, 4 / 18])
    # node 9 never answers: reported, the round completes
    by_node = {m.metadata.dst_node_id: m for m in msgs}
    r7, _ = reply(by_node[7], 3, [4, 0, 2])
    r8, _ = reply(by_node[8], 4, [0, 10, 2])
    strategy.aggregate_train(2, [r7, r8])
    assert 'no reply' in strategy.round_logs[-1].dropouts[9]


def test_label_space_mismatch_over_flower(server_identity):
    strategy = FedGenStrategy(make_server(), min_train_nodes=1,
                              min_available_nodes=1)
    msg, = strategy.configure_train(
        1, to_record(strategy.server.model.state_dict()), ConfigRecord(),
        FakeGrid([5]))
    bad, _ = reply(msg, 1, [1, 2, 3, 4])  # 4 label counts, not 3
    with pytest.raises(ValueError, match='label space'):
        strategy.aggregate_train(1, [bad])
    no_counts = copy.copy(bad)
    del no_counts.content['label-counts']
    with pytest.raises(ValueError, match='label-counts'):
        strategy.aggregate_train(1, [no_counts])


def test_missing_flower_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'flwr', None)  # import flwr fails
    monkeypatch.delitem(sys.modules, 'mmdfkd.federated.flower')
    with pytest.raises(ImportError, match=r'pip install -e "\.\[fed\]"'):
        importlib.import_module('mmdfkd.federated.flower')


def test_default_config_path_resolves_from_anywhere(tmp_path, monkeypatch):
    from mmdfkd.federated.flower.records import load_config
    monkeypatch.chdir(tmp_path)  # e.g. a SuperExec's working directory
    cfg = load_config('configs/federated/fedgen_digits.py')
    assert cfg.partition.num_clients == 10


def test_replies_are_ordered_and_named_by_partition(server_identity):
    server = make_server()
    strategy = FedGenStrategy(server, min_train_nodes=2,
                              min_available_nodes=2)
    msgs = list(strategy.configure_train(
        1, to_record(server.model.state_dict()), ConfigRecord(),
        FakeGrid([7, 8])))
    by_node = {m.metadata.dst_node_id: m for m in msgs}
    r7, _ = reply(by_node[7], 1, [4, 0, 2])
    r8, _ = reply(by_node[8], 2, [0, 10, 2])
    r7.content['metrics']['partition-id'] = 1
    r8.content['metrics']['partition-id'] = 0
    seen = []
    finish = server.finish_round
    server.finish_round = lambda ups: seen.extend(ups) or finish(ups)
    strategy.aggregate_train(1, [r7, r8])
    # the simulation's order (partition 0 first) whatever the reply order
    assert [u.client_id for u in seen] == [0, 1]
    assert [u.num_examples for u in seen] == [12, 6]
    assert 'partition-id' not in seen[0].metrics
    assert strategy.round_logs[-1].participants == [0, 1]


def test_fedprox_mu_and_the_latent_weight_travel(server_identity):
    torch.manual_seed(0)
    model = FedClassifier(num_classes=3, latent_dim=8, base_channels=4)
    prox = FedGenStrategy(FedGenServer(model, None, 3, prox_mu=0.05),
                          min_train_nodes=1, min_available_nodes=1)
    msg, = prox.configure_train(1, to_record(model.state_dict()),
                                ConfigRecord(), FakeGrid([5]))
    conf = msg.content['config']
    # Flower's own FedProx strategy uses the key 'proximal-mu'
    assert conf['proximal-mu'] == 0.05 and conf['latent-weight'] == 0.0
    server = make_server()
    server.latent_weight = 2.0
    gen = FedGenStrategy(server, min_train_nodes=1, min_available_nodes=1)
    msg, = gen.configure_train(1, to_record(server.model.state_dict()),
                               ConfigRecord(), FakeGrid([5]))
    r, _ = reply(msg, 1, [4, 0, 2])
    arrays, _ = gen.aggregate_train(1, [r])
    msg, = gen.configure_train(2, arrays, ConfigRecord(), FakeGrid([5]))
    assert msg.content['config']['latent-weight'] == pytest.approx(1.96)
    assert msg.content['config']['proximal-mu'] == 0.0


def test_client_app_trains_fedprox(server_identity, tmp_path):
    from flwr.app import Context
    from mmengine.config import Config

    from mmdfkd.federated.experiment import build_server
    from mmdfkd.federated.flower.client_app import train
    from tests.conftest import ROOT

    base = f'{ROOT}/configs/federated/fedgen_digits.py'
    cfg_file = tmp_path / 'tiny.py'
    cfg_file.write_text(f'_base_ = [{base!r}]\nlocal = dict(steps=3)\n'
                        'fedprox = dict(mu=0.5)\n')
    cfg = Config.fromfile(str(cfg_file))
    server = build_server(cfg, 'fedprox', seed=0)
    strategy = FedGenStrategy(server, min_train_nodes=1,
                              min_available_nodes=1)
    msg, = strategy.configure_train(
        1, to_record(server.model.state_dict()), ConfigRecord({'seed': 0}),
        FakeGrid([5]))
    context = Context(run_id=1, node_id=5,
                      node_config={'partition-id': 1, 'num-partitions': 3},
                      state=RecordDict(), run_config={'config': str(cfg_file)})
    out = train(msg, context)
    metrics = out.content['metrics']
    assert metrics['partition-id'] == 1 and metrics['loss_prox'] > 0
    assert metrics['loss_reg'] == 0.0
    counts = out.content['label-counts']['counts']
    assert sum(counts) == metrics['num-examples'] > 0
