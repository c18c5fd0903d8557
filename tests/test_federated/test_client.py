"""Client: the FedGen regulariser, its decaying weight, local training."""
import copy

import pytest
import torch

from mmdfkd.federated import (FeatureGenerator, FedClassifier,
                              fedgen_regulariser, local_train,
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
