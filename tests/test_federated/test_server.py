"""Server: FedAvg weights, the generator step, label-space checks."""
import copy

import numpy as np
import pytest
import torch

from mmdfkd.federated import (ClientUpdate, FeatureGenerator, FedClassifier,
                              FedGenServer, diversity_loss, weighted_average)
from mmdfkd.registry import MODELS


def small_model(num_classes=4, seed=0):
    torch.manual_seed(seed)
    return FedClassifier(num_classes=num_classes, latent_dim=8,
                         base_channels=4)


def small_server(num_classes=4, generator=True, **kwargs):
    gen = FeatureGenerator(num_classes, latent_dim=8, noise_dim=6,
                           hidden_dim=16) if generator else None
    kwargs.setdefault('gen_batch_size', 32)
    return FedGenServer(small_model(num_classes), gen, num_classes, **kwargs)


def update(cid, seed, counts, num_classes=4):
    model = small_model(num_classes, seed)
    return ClientUpdate(cid, copy.deepcopy(model.state_dict()),
                        int(np.sum(counts)), np.asarray(counts))


def test_models_are_registered():
    model = MODELS.build(dict(type='FedClassifier', num_classes=3))
    gen = MODELS.build(
        dict(type='FeatureGenerator', num_classes=3, latent_dim=32))
    latent, noise = gen.eval()(torch.tensor([0, 2]))
    assert latent.shape == (2, 32) and noise.shape == (2, gen.noise_dim)
    assert model.head(latent).shape == (2, 3)
    x = torch.rand(5, 1, 8, 8)
    assert torch.equal(model(x), model.head(model.extract(x)))


def test_weighted_average_by_sample_counts():
    a = {'w': torch.tensor([1.0, 2.0]), 'n': torch.tensor(4)}
    b = {'w': torch.tensor([3.0, 6.0]), 'n': torch.tensor(8)}
    out = weighted_average([a, b], [30, 10])
    # (30·[1, 2] + 10·[3, 6]) / 40 = [1.5, 3.0]
    assert torch.allclose(out['w'], torch.tensor([1.5, 3.0]))
    assert out['n'].dtype == torch.int64 and out['n'].item() == 5
    with pytest.raises(ValueError, match='no client replied'):
        weighted_average([], [])


def test_finish_round_averages_clients_by_counts():
    server = small_server(generator=False)
    ups = [update(0, 1, [5, 5, 0, 0]), update(1, 2, [0, 0, 20, 10])]
    server.finish_round(ups)
    for key, value in server.model.state_dict().items():
        expected = (10 * ups[0].state[key] + 30 * ups[1].state[key]) / 40
        assert torch.allclose(value, expected, atol=1e-6), key
    # FedAvg: no generator, no regulariser
    assert server.round_config(2)['reg_weight'] == 0.0
    assert server.generator_state() is None


def test_generator_loss_weights_heads_by_label_share():
    server = small_server()
    heads = server.heads([update(0, 1, [1, 1, 1, 1]),
                          update(1, 2, [1, 1, 1, 1])])
    counts = torch.tensor([[3.0, 0, 1, 1], [1.0, 2, 0, 1]])
    server.generator.eval()
    state = server.rng.get_state()
    terms = server.generator_loss(heads, counts)
    # replay the same draw by hand
    server.rng.set_state(state)
    totals = counts.sum(0)
    labels = torch.multinomial(totals / totals.sum(), 32, True,
                               generator=server.rng)
    latent, noise = server.generator(labels, generator=server.rng)
    ce = [torch.nn.functional.cross_entropy(h(latent), labels,
                                            reduction='none')
          for h in heads]
    share = counts[:, labels] / totals[labels]
    expected = (share[0] * ce[0] + share[1] * ce[1]).mean()
    assert torch.allclose(terms['teacher'], expected)
    assert torch.allclose(terms['diversity'], diversity_loss(noise, latent))
    assert torch.allclose(terms['loss'],
                          terms['teacher'] + terms['diversity'])


def test_generator_step_trains_only_the_generator():
    server = small_server(gen_steps=1)
    ups = [update(0, 1, [9, 1, 0, 0]), update(1, 2, [0, 1, 5, 5])]
    heads = server.heads(ups)
    counts = torch.tensor([[9.0, 1, 0, 0], [0.0, 1, 5, 5]])
    terms = server.generator_loss(heads, counts)
    terms['loss'].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in server.generator.parameters())
    assert all(p.grad is None for h in heads for p in h.parameters())
    assert all(p.grad is None for p in server.model.parameters())


def test_generator_loss_falls():
    server = small_server(gen_steps=60, gen_lr=1e-2)
    ups = [update(0, 1, [9, 1, 0, 0]), update(1, 2, [0, 1, 5, 5])]
    heads_before = [copy.deepcopy(h.state_dict())
                    for h in server.heads(ups)]
    log = server.finish_round(ups)
    assert log['generator_teacher_last'] < 0.5 * log['generator_teacher_first']
    # the clients' heads are left as they were
    for h, before in zip(server.heads(ups), heads_before):
        for k, v in h.state_dict().items():
            assert torch.equal(v, before[k])
    assert server.generator_state() is not None
    probs = server.round_config(2)['label_probs']
    assert torch.allclose(probs, torch.tensor([9.0, 2, 5, 5]) / 21)


def test_diversity_loss_prefers_spread_latents():
    noise = torch.randn(16, 6)
    collapsed = torch.zeros(16, 8)
    spread = noise @ torch.randn(6, 8)
    assert diversity_loss(noise, collapsed).item() == pytest.approx(1.0)
    assert diversity_loss(noise, spread) < 0.9


def test_label_space_mismatch_is_refused():
    server = small_server()
    with pytest.raises(ValueError, match='label space'):
        server.finish_round([update(0, 1, [1, 2, 3])])  # 3 counts, not 4
    other = small_model(num_classes=5)
    bad = ClientUpdate(0, other.state_dict(), 6, np.array([1, 2, 3, 0]))
    with pytest.raises(ValueError, match='5 head outputs'):
        server.finish_round([bad])
    with pytest.raises(ValueError, match='same num_classes'):
        FedGenServer(small_model(4), FeatureGenerator(5), num_classes=4)


def test_round_with_every_client_gone_raises():
    with pytest.raises(RuntimeError, match='dropped out'):
        small_server().finish_round([])


def test_round_config_decays_both_generator_weights():
    server = small_server(reg_weight=10.0, latent_weight=4.0,
                          reg_decay=0.5, gen_steps=1)
    # no generator trained yet: plain local training in round 1
    first = server.round_config(1)
    assert first['reg_weight'] == first['latent_weight'] == 0.0
    server.finish_round([update(0, 1, [1, 1, 1, 1])])
    third = server.round_config(3)
    assert third['reg_weight'] == pytest.approx(10.0 * 0.5**2)
    assert third['latent_weight'] == pytest.approx(4.0 * 0.5**2)
    assert third['prox_mu'] == 0.0


def test_fedprox_server_broadcasts_mu_and_averages_like_fedavg():
    prox = small_server(generator=False, prox_mu=0.01)
    plain = small_server(generator=False)
    ups = [update(0, 1, [5, 5, 0, 0]), update(1, 2, [0, 0, 20, 10])]
    prox.finish_round(ups)
    plain.finish_round(ups)
    assert prox.round_config(2)['prox_mu'] == 0.01
    assert prox.round_config(2)['reg_weight'] == 0.0
    for key, value in prox.model.state_dict().items():
        assert torch.equal(value, plain.model.state_dict()[key])
    with pytest.raises(ValueError, match='prox_mu'):
        small_server(generator=False, prox_mu=-0.1)


def test_feature_size_mismatch_is_refused():
    # the server's own model and generator must agree
    with pytest.raises(ValueError, match=r'16-d latents .* 8-d features'):
        FedGenServer(small_model(4), FeatureGenerator(4, latent_dim=16), 4)
    # a client whose model has another feature size than the generator
    server = small_server()
    torch.manual_seed(0)
    other = FedClassifier(num_classes=4, latent_dim=16, base_channels=4)
    bad = ClientUpdate(3, other.state_dict(), 4, np.array([1, 1, 1, 1]))
    with pytest.raises(ValueError,
                       match=r"client 3's head takes 16-d features, but "
                       r'its generator makes 8-d latents'):
        server.finish_round([bad])
    # any other architecture difference is named by its parameter
    wider = FedClassifier(num_classes=4, latent_dim=8, base_channels=6)
    bad = ClientUpdate(4, wider.state_dict(), 4, np.array([1, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"client 4's model differs .* "
                       r"'features.0.weight'"):
        server.finish_round([bad])
