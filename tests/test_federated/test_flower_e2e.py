"""A real Flower run (deployment engine on 127.0.0.1): SuperLink, two
SuperNodes, two FedGen rounds, every process ended afterwards, and the
same numbers as the in-process simulation of the same config and seed
(tools/flower_vs_simulation.py)."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from tests.conftest import ROOT

pytest.importorskip('flwr', reason='Flower is the optional extra "fed"')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mmdfkd_tools_flower_vs_simulation',
        osp.join(ROOT, 'tools', 'flower_vs_simulation.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fedgen_on_flower_matches_the_simulation(tmp_path):
    cfg = tmp_path / 'tiny_fedgen.py'
    base = osp.join(ROOT, 'configs/federated/fedgen_digits.py')
    cfg.write_text(f'_base_ = [{base!r}]\n'
                   'local = dict(steps=10)\n'
                   'server = dict(gen_steps=5, latent_weight=1.0)\n'
                   'partition = dict(num_clients=2)\n')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the Flower processes
    try:
        result = load_tool().main([
            '--config', str(cfg), '--method', 'fedgen', '--rounds', '2',
            '--splits', 'val', 'test', '--work-dir', str(tmp_path / 'w'),
            '--timeout', '120'
        ])
    finally:
        torch.set_num_threads(threads)
    # every per-round accuracy and training loss, and the final val and
    # test accuracy, are bit-identical
    assert result['identical'], result
    assert result['process_groups_left'] == []
    assert len(result['flower']) == 2 * 6 + 2
    summary = json.loads(
        (tmp_path / 'w' / 'flower_out' / 'summary.json').read_text())
    logs = summary['round_logs']
    assert [r['server_round'] for r in logs] == [1, 2]
    for r in logs:
        # clients are named by their partition id
        assert r['participants'] == [0, 1] and not r['dropouts']
        assert r['metrics']['num_examples'] == 1068  # the whole train split
    # round 1 trains the generator on the clients' heads; round 2
    # broadcasts it and the clients use it with α_2 = α_0 · decay
    server = Config.fromfile(str(cfg)).server
    assert logs[0]['metrics']['reg_weight'] == 0.0
    assert logs[1]['metrics']['reg_weight'] == pytest.approx(
        server.reg_weight * server.reg_decay)
    assert logs[1]['metrics']['latent_weight'] == pytest.approx(
        server.latent_weight * server.reg_decay)
    assert logs[1]['metrics']['train_loss_reg'] > 0
    assert logs[1]['metrics']['train_loss_latent'] > 0
    assert 'generator_teacher_last' in logs[1]['metrics']
    assert (tmp_path / 'w' / 'flower_out' / 'global_model.pth').exists()
