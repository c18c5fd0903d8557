"""In-process rounds: dropouts are reported, FedGen learns on digits."""
import ast
import glob

import pytest
import torch
from mmengine.config import Config

from mmdfkd.federated import FeatureGenerator, FedClassifier, FedGenServer
from mmdfkd.federated.data import digits_tensors
from mmdfkd.federated.experiment import accuracy, client_splits, run_method
from mmdfkd.federated.simulation import simulate
from tests.conftest import ROOT

LOCAL = dict(steps=2, batch_size=8, lr=0.05, momentum=0.9,
             reg_batch_size=8)


def toy_clients(n=3):
    torch.manual_seed(0)
    return [(torch.rand(10, 1, 8, 8), torch.randint(0, 3, (10, )))
            for _ in range(n)]


def toy_server():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=3, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(3, latent_dim=8, noise_dim=4, hidden_dim=8)
    return FedGenServer(model, gen, 3, gen_steps=2, gen_batch_size=8)


def test_dropout_mid_round_is_reported_and_the_round_completes():
    server = toy_server()
    logs = simulate(server, toy_clients(), rounds=2, local_cfg=LOCAL,
                    dropout=lambda t, cid: (t, cid) == (2, 1))
    assert logs[0].participants == [0, 1, 2] and not logs[0].dropouts
    assert logs[1].participants == [0, 2]
    assert 'dropped mid-round' in logs[1].dropouts[1]
    # only the two remaining clients' samples were aggregated
    assert logs[1].metrics['num_examples'] == 20
    # round 2 used the generator trained after round 1
    assert logs[0].metrics['reg_weight'] == 0.0
    assert logs[1].metrics['reg_weight'] == pytest.approx(0.98)
    assert logs[1].metrics['train_loss_reg'] > 0


def test_a_failing_client_is_a_dropout():
    clients = toy_clients()
    # client 2 carries a label outside the label space: its step fails
    clients[2] = (clients[2][0], torch.full((10, ), 5))
    logs = simulate(toy_server(), clients, rounds=1, local_cfg=LOCAL)
    assert logs[0].participants == [0, 1]
    assert 2 in logs[0].dropouts


def test_bad_clients_are_refused():
    clients = toy_clients()
    clients[1] = (clients[1][0][:0], clients[1][1][:0])
    with pytest.raises(ValueError, match='client 1 has no samples'):
        simulate(toy_server(), clients, 1, LOCAL)
    with pytest.raises(RuntimeError, match='every client dropped out'):
        simulate(toy_server(), toy_clients(), 1, LOCAL,
                 dropout=lambda t, cid: True)


def test_fedgen_learns_digits_in_a_few_rounds():
    cfg = Config.fromfile(f'{ROOT}/configs/federated/fedgen_digits.py')
    cfg.partition.update(num_clients=3, alpha=1.0)
    cfg.local.steps = 30
    cfg.server.gen_steps = 10
    out = run_method(cfg, 'fedgen', seed=0, rounds=3)
    logs = out['logs']
    assert [log.server_round for log in logs] == [1, 2, 3]
    assert logs[-1].metrics['train_loss_reg'] > 0
    # ten classes: chance is 10 %
    assert out['val_accuracy'] > 40
    assert out['val_accuracy'] == pytest.approx(
        logs[-1].metrics['val_accuracy'])


def test_client_splits_follow_the_config():
    cfg = Config.fromfile(f'{ROOT}/configs/federated/fedgen_digits.py')
    images, labels = digits_tensors('train')
    assert images.shape == (1068, 1, 8, 8) and 0 <= images.min()
    assert images.max() <= 1
    clients = client_splits(cfg, 0, images, labels)
    assert len(clients) == cfg.partition.num_clients == 10
    assert sum(len(y) for _, y in clients) == 1068
    assert min(len(y) for _, y in clients) >= cfg.partition.min_size


def test_accuracy_in_percent():
    labels = torch.tensor([0, 1, 2, 2])
    logits = torch.eye(3)[[0, 1, 2, 0]]
    assert accuracy(torch.nn.Identity(), logits, labels) == 75.0


def test_the_algorithm_does_not_import_flower():
    """Only mmdfkd/federated/flower/ may import flwr."""
    files = glob.glob(f'{ROOT}/mmdfkd/federated/*.py')
    assert len(files) >= 7
    for path in files:
        tree = ast.parse(open(path).read())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or '']
            assert not any(n.split('.')[0] == 'flwr' or 'flower' in n
                           for n in names), (path, names)


def test_fedprox_and_fedgen_on_tiny_fashion_mnist(fashion_root):
    cfg = Config.fromfile(
        f'{ROOT}/configs/federated/fedgen_fashion_mnist.py')
    cfg.data.root = fashion_root
    cfg.partition.update(num_clients=3, alpha=1.0, min_size=5)
    cfg.local.update(steps=10, batch_size=16)
    cfg.server.gen_steps = 5
    prox = run_method(cfg, 'fedprox', seed=0, rounds=2,
                      eval_splits=('val', 'test'))
    assert prox['logs'][0].metrics['train_loss_prox'] > 0
    assert 'train_loss_reg' in prox['logs'][0].metrics
    gen = run_method(cfg, 'fedgen', seed=0, rounds=2,
                     curve_splits=('val', 'test'))
    second = gen['logs'][1].metrics
    assert second['train_loss_reg'] > 0 and second['train_loss_latent'] > 0
    assert second['latent_weight'] == pytest.approx(
        cfg.server.latent_weight * cfg.server.reg_decay)
    assert {'val_accuracy', 'test_accuracy'} <= set(second)
    # the bands are easy: well above chance (10 %) after two rounds
    assert gen['val_accuracy'] > 30


def test_a_split_too_skewed_for_the_clients_names_the_setting():
    cfg = Config.fromfile(f'{ROOT}/configs/federated/fedgen_digits.py')
    cfg.partition.update(num_clients=50, alpha=0.05, min_size=20)
    images, labels = digits_tensors('train')
    with pytest.raises(ValueError,
                       match=r'partition=dict\(num_clients=50, alpha=0.05, '
                       r'min_size=20\) cannot split the 1068 training '
                       r'samples of digits.*lower num_clients'):
        client_splits(cfg, 0, images, labels)
