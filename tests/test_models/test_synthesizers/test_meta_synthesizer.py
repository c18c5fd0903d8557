import pytest
import torch

from mmdfkd.models.synthesizers import MetaSynthesizer


def make(meta='fomaml', **kwargs):
    kwargs.setdefault('inner_steps', 3)
    return MetaSynthesizer(
        generator=dict(type='ConvGenerator', latent_dim=6, img_size=4,
                       out_channels=1, base_channels=4, norm_cfg=None),
        meta=meta, **kwargs)


def target_loss(images):
    return dict(l2=((images - 100.0)**2).mean() / 1e4)


@pytest.mark.parametrize('meta', ['fomaml', 'reptile'])
def test_round_adapts_a_clone_and_moves_the_meta_generator(meta):
    torch.manual_seed(0)
    synth = make(meta)
    before = [p.detach().clone() for p in synth.generator.parameters()]
    z = torch.randn(5, 6)
    images, losses = synth.synthesize(target_loss, z)
    assert images.shape == (5, 1, 4, 4) and not images.requires_grad
    assert 0 <= float(images.min()) and float(images.max()) <= 255
    after = list(synth.generator.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    # one Adam step of the meta-optimiser: every weight moves by ~meta_lr
    step = max(float((a - b).abs().max()) for a, b in zip(before, after))
    assert step == pytest.approx(5e-3, rel=0.05)
    # the latents given are not modified (a trainable copy is adapted)
    assert losses['l2'].shape == ()


def test_fomaml_uses_the_gradient_at_the_adapted_weights():
    torch.manual_seed(0)
    synth = make('fomaml', meta_lr=1.0)
    grads = []
    synth._meta_update = lambda fast, g: grads.append(g)
    synth.synthesize(target_loss, torch.randn(3, 6))
    assert len(grads) == 1 and all(g is not None for g in grads[0])


def test_repeated_rounds_get_better():
    """Meta-learning: after some rounds, the starting point is closer to
    what the loss wants."""
    torch.manual_seed(0)
    synth = make('reptile', meta_lr=0.05)
    first = None
    for _ in range(30):
        _, losses = synth.synthesize(target_loss, torch.randn(8, 6))
        first = float(losses['l2']) if first is None else first
    assert float(losses['l2']) < first


def test_meta_optimiser_state_travels(tmp_path):
    synth = make()
    synth.synthesize(target_loss, torch.randn(3, 6))
    torch.save(synth.state_dict(), tmp_path / 's.pth')
    fresh = make()
    fresh.load_state_dict(torch.load(tmp_path / 's.pth', weights_only=True))
    a = synth._meta_optimizer.state_dict()['state']
    b = fresh._meta_optimizer.state_dict()['state']
    assert a.keys() == b.keys() and len(a) > 0
    for k in a:
        torch.testing.assert_close(a[k]['exp_avg_sq'], b[k]['exp_avg_sq'])


def test_bad_arguments():
    with pytest.raises(ValueError, match='meta'):
        make('maml')
    with pytest.raises(ValueError, match='inner_steps'):
        make(inner_steps=0)
