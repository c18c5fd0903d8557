"""A real Flower run (deployment engine on 127.0.0.1): SuperLink, two
SuperNodes, two FedGen rounds, every process ended afterwards."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import ROOT

pytest.importorskip('flwr', reason='Flower is the optional extra "fed"')

from tests.test_federated.flower_deployment import \
    LocalDeployment  # noqa: E402


def test_fedgen_rounds_on_flower(tmp_path):
    cfg = tmp_path / 'tiny_fedgen.py'
    base = osp.join(ROOT, 'configs/federated/fedgen_digits.py')
    cfg.write_text(f'_base_ = [{base!r}]\n'
                   'local = dict(steps=10)\n'
                   'server = dict(gen_steps=5)\n')
    out = tmp_path / 'out'
    deployment = LocalDeployment(str(tmp_path), num_nodes=2)
    try:
        deployment.start()
        log = deployment.run(
            osp.join(ROOT, 'mmdfkd/federated/flower'),
            f"config='{cfg}' out-dir='{out}' num-server-rounds=2 "
            'min-nodes=2 round-timeout=120.0 seed=0',
            timeout=240)
    finally:
        left = deployment.stop()
    assert left == [], f'process groups left running: {left}'
    summary_file = out / 'summary.json'
    assert summary_file.exists(), log + deployment.logs()
    summary = json.loads(summary_file.read_text())
    logs = summary['round_logs']
    assert [r['server_round'] for r in logs] == [1, 2]
    for r in logs:
        assert len(set(r['participants'])) == 2 and not r['dropouts']
        assert r['metrics']['num_examples'] == 1068  # the whole train split
    # round 1 trains the generator on the clients' heads; round 2
    # broadcasts it and the clients use it with α_2 = α_0 · decay
    server = Config.fromfile(base).server
    assert logs[0]['metrics']['reg_weight'] == 0.0
    assert logs[1]['metrics']['reg_weight'] == pytest.approx(
        server.reg_weight * server.reg_decay)
    assert logs[1]['metrics']['train_loss_reg'] > 0
    assert 'generator_teacher_last' in logs[1]['metrics']
    assert (out / 'global_model.pth').exists()
