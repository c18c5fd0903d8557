"""Client: FedGen's teacher and latent-matching terms, their decaying
weight, FedProx's proximal term, local training."""
import copy
import math

import pytest
import torch

from mmdfkd.federated import (FeatureGenerator, FedClassifier,
                              fedgen_regulariser, latent_matching,
                              local_train, proximal_term,
                              regulariser_weight)


def test_regulariser_weight_decays():
    assert regulariser_weight(1, 1.0, 0.98) == 1.0
    assert regulariser_weight(3, 2.0, 0.98) == pytest.approx(2 * 0.98**2)
    assert regulariser_weight(11, 1.0, 0.98) == pytest.approx(0.98**10)
    with pytest.raises(ValueError, match='from 1'):
        regulariser_weight(0)


def test_regulariser_reaches_the_head_only():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=4, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(4, latent_dim=8, noise_dim=6).eval()
    probs = torch.tensor([0.0, 0.5, 0.5, 0.0])
    rng = torch.Generator().manual_seed(0)
    loss = fedgen_regulariser(model, gen, probs, 16, rng)
    loss.backward()
    assert model.head.weight.grad.abs().sum() > 0
    # generated latents bypass the feature extractor; the generator is
    # fixed on the client
    assert all(p.grad is None for p in model.features.parameters())
    assert all(p.grad is None for p in gen.parameters())
    # ŷ follows label_probs: only classes 1 and 2 are drawn
    rng.manual_seed(1)
    drawn = torch.multinomial(probs, 200, True, generator=rng)
    assert set(drawn.tolist()) == {1, 2}


def test_regulariser_changes_the_local_step():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=4, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(4, latent_dim=8, noise_dim=6).eval()
    images, labels = torch.rand(20, 1, 8, 8), torch.randint(0, 4, (20, ))
    plain, reg = copy.deepcopy(model), copy.deepcopy(model)
    m_plain = local_train(plain, images, labels, steps=3, batch_size=8)
    m_reg = local_train(reg, images, labels, steps=3, batch_size=8,
                        generator=gen, label_probs=torch.full((4, ), .25),
                        reg_weight=0.5)
    assert m_plain['loss_reg'] == 0.0 and m_reg['loss_reg'] > 0
    assert m_plain['loss_ce'] == pytest.approx(
        local_train(copy.deepcopy(model), images, labels, steps=3,
                    batch_size=8)['loss_ce'])  # seeded
    assert not torch.allclose(plain.head.weight, reg.head.weight)


def test_local_training_learns_and_refuses_empty_data():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=2, latent_dim=8, base_channels=4)
    images = torch.zeros(32, 1, 8, 8)
    images[16:, :, :4] = 1.0
    labels = torch.tensor([0] * 16 + [1] * 16)
    local_train(model, images, labels, steps=60, batch_size=16, lr=0.1)
    assert (model(images).argmax(1) == labels).all()
    with pytest.raises(ValueError, match='no samples'):
        local_train(model, images[:0], labels[:0])


def zero_head_model(num_classes=2):
    """A model whose head outputs 0 for every latent: p_G is uniform."""
    torch.manual_seed(0)
    model = FedClassifier(num_classes=num_classes, latent_dim=8,
                          base_channels=4)
    torch.nn.init.zeros_(model.head.weight)
    torch.nn.init.zeros_(model.head.bias)
    return model


def test_latent_matching_against_a_hand_computation():
    model = zero_head_model()
    gen = FeatureGenerator(2, latent_dim=8, noise_dim=6).eval()
    rng = torch.Generator().manual_seed(0)
    logits = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]],
                          requires_grad=True)
    loss = latent_matching(logits, model, gen, torch.tensor([0, 1]), rng)
    # p_G = (1/2, 1/2); row 1: p_x = (3/4, 1/4), KL = ½ln(⅔) + ½ln(2)
    # = ½ln(4/3); row 2: p_x = p_G, KL = 0; batch mean = ¼ln(4/3)
    assert loss.item() == pytest.approx(0.25 * math.log(4 / 3), rel=1e-6)
    loss.backward()
    # d KL / d logits = (p_x - p_G) / N
    assert torch.allclose(logits.grad,
                          torch.tensor([[0.125, -0.125], [0.0, 0.0]]))


def test_latent_matching_targets_the_generated_prediction():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=3, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(3, latent_dim=8, noise_dim=6).eval()
    images, labels = torch.rand(5, 1, 8, 8), torch.tensor([0, 1, 2, 2, 0])
    rng = torch.Generator().manual_seed(3)
    logits = model(images)
    loss = latent_matching(logits, model, gen, labels, rng)
    # replay the noise by hand
    rng.manual_seed(3)
    latent, _ = gen(labels, generator=rng)
    p_g = torch.softmax(model.head(latent), 1).detach()
    log_px = torch.log_softmax(logits, 1)
    expected = (p_g * (p_g.log() - log_px)).sum(1).mean()
    assert torch.allclose(loss, expected)
    loss.backward()
    # the real batch carries the gradient to the whole model; the
    # generator and the target are fixed
    assert model.features[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in gen.parameters())


def test_proximal_term_against_a_hand_computation():
    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 2.0]]))
        model.bias.fill_(3.0)
    anchor = [torch.tensor([[0.0, 0.0]]), torch.tensor([1.0])]
    prox = proximal_term(model, anchor)
    assert prox.item() == pytest.approx(1 + 4 + 4)
    prox.backward()
    # gradient of ‖w − w_t‖² is 2 (w − w_t)
    assert torch.equal(model.weight.grad, torch.tensor([[2.0, 4.0]]))
    assert torch.equal(model.bias.grad, torch.tensor([4.0]))


def test_fedprox_keeps_the_local_model_near_the_global_one():
    torch.manual_seed(0)
    start = FedClassifier(num_classes=4, latent_dim=8, base_channels=4)
    images, labels = torch.rand(40, 1, 8, 8), torch.randint(0, 4, (40, ))

    def drift(mu):
        model = copy.deepcopy(start)
        metrics = local_train(model, images, labels, steps=20,
                              batch_size=8, prox_mu=mu)
        dist = proximal_term(model, list(start.parameters())).item()
        return dist, metrics

    plain, m_plain = drift(0.0)
    prox, m_prox = drift(10.0)
    assert m_plain['loss_prox'] == 0.0 and m_prox['loss_prox'] > 0
    assert prox < 0.5 * plain
    with pytest.raises(ValueError, match='prox_mu'):
        local_train(copy.deepcopy(start), images, labels, prox_mu=-1.0)


def test_local_step_adds_both_generator_terms():
    torch.manual_seed(0)
    model = FedClassifier(num_classes=4, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(4, latent_dim=8, noise_dim=6).eval()
    images, labels = torch.rand(20, 1, 8, 8), torch.randint(0, 4, (20, ))
    probs = torch.full((4, ), .25)
    only_reg, both = copy.deepcopy(model), copy.deepcopy(model)
    m_reg = local_train(only_reg, images, labels, steps=3, batch_size=8,
                        generator=gen, label_probs=probs, reg_weight=0.5)
    m_both = local_train(both, images, labels, steps=3, batch_size=8,
                         generator=gen, label_probs=probs, reg_weight=0.5,
                         latent_weight=0.5)
    assert m_reg['loss_latent'] == 0.0 and m_both['loss_latent'] > 0
    # the latent term moves the feature extractor, which the teacher
    # term alone never reaches
    assert not torch.allclose(only_reg.features[0].weight,
                              both.features[0].weight)


def test_a_generator_of_another_feature_size_is_refused():
    model = FedClassifier(num_classes=4, latent_dim=8, base_channels=4)
    gen = FeatureGenerator(4, latent_dim=16, noise_dim=6)
    images, labels = torch.rand(8, 1, 8, 8), torch.randint(0, 4, (8, ))
    with pytest.raises(ValueError, match=r'16-d latents .* 8-d features'):
        local_train(model, images, labels, generator=gen,
                    label_probs=torch.full((4, ), .25), reg_weight=1.0)
