import copy
from types import SimpleNamespace

import pytest
import torch

from mmdfkd.models.synthesizers import MetaSynthesizer

#: What the synthesizers read of a distiller here: the round index.
ENV = SimpleNamespace(round_index=0)


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
    images, losses = synth.synthesize(ENV, target_loss, z)
    assert images.shape == (5, 1, 4, 4) and not images.requires_grad
    assert 0 <= float(images.min()) and float(images.max()) <= 255
    after = list(synth.generator.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
    # one Adam step of the meta-optimiser: every weight moves by ~meta_lr,
    # lr_g × inner_steps by default (the published relation)
    assert synth.meta_lr == pytest.approx(5e-3 * 3)
    step = max(float((a - b).abs().max()) for a, b in zip(before, after))
    assert step == pytest.approx(5e-3 * 3, rel=0.05)
    # the latents given are not modified (a trainable copy is adapted)
    assert losses['l2'].shape == ()


def test_fomaml_sums_the_gradients_of_all_inner_steps():
    """The meta-update by hand: replay the inner Adam steps on a copy,
    sum the gradient of every step (each at the weights before that step),
    then one Adam step at lr_g × inner_steps from a fresh state:
    θ − lr · ĝ / (|ĝ| + eps) with ĝ the sum."""
    torch.manual_seed(0)
    synth = make('fomaml', inner_steps=3, lr_g=0.01, lr_z=0.02)
    meta0 = copy.deepcopy(synth.generator)
    z = torch.randn(4, 6)
    synth.synthesize(ENV, target_loss, z)

    fast = copy.deepcopy(meta0)
    zz = z.clone().requires_grad_(True)
    inner = torch.optim.Adam([
        dict(params=fast.parameters(), lr=0.01),
        dict(params=[zz], lr=0.02)
    ], betas=(0.5, 0.999))
    grads = [torch.zeros_like(p) for p in fast.parameters()]
    last = None
    for _ in range(3):
        inner.zero_grad()
        target_loss(synth.to_pixels(fast(zz)))['l2'].backward()
        last = [p.grad.clone() for p in fast.parameters()]
        grads = [g + d for g, d in zip(grads, last)]
        inner.step()
    lr, eps = 0.01 * 3, 1e-8
    for p0, p, g, g_last in zip(meta0.parameters(),
                                synth.generator.parameters(), grads, last):
        expected = p0 - lr * g / (g.abs() + eps)
        torch.testing.assert_close(p.detach(), expected.detach(),
                                   rtol=0, atol=1e-6)
    # the last step's gradient alone (the old update) moves them otherwise
    assert any(
        not torch.allclose(
            p.detach(), (p0 - lr * gl / (gl.abs() + eps)).detach(),
            atol=1e-6)
        for p0, p, gl in zip(meta0.parameters(),
                             synth.generator.parameters(), last))


def test_repeated_rounds_get_better():
    """Meta-learning: after some rounds, the starting point is closer to
    what the loss wants."""
    torch.manual_seed(0)
    synth = make('reptile', meta_lr=0.05)
    first = None
    for _ in range(30):
        _, losses = synth.synthesize(ENV, target_loss, torch.randn(8, 6))
        first = float(losses['l2']) if first is None else first
    assert float(losses['l2']) < first


def test_meta_optimiser_state_travels(tmp_path):
    synth = make()
    synth.synthesize(ENV, target_loss, torch.randn(3, 6))
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


@pytest.mark.parametrize('round_index, resets', [(0, False), (3, False),
                                                 (10, True), (20, True)])
def test_reset_layers_every_interval(round_index, resets):
    """Fast DFKD's reset of the generator's first layer before the round
    adapts it: every ``reset_interval`` rounds (not the first), only the
    named layers."""
    synth = make(reset_layers=['project'], reset_interval=10, inner_steps=1)
    with torch.no_grad():
        for p in synth.generator.parameters():
            p.fill_(0.5)
    seen = []  # the adapted clone's weights at its first forward
    synth.generator.register_forward_pre_hook(
        lambda m, args: seen.append(
            {n: p.detach().clone() for n, p in m.named_parameters()}))
    synth.synthesize(SimpleNamespace(round_index=round_index), target_loss,
                     torch.randn(2, 6))
    first = seen[0]
    assert bool((first['project.weight'] != 0.5).any()) == resets
    assert all(bool((v == 0.5).all()) for n, v in first.items()
               if not n.startswith('project'))


def test_reset_layers_must_exist():
    with pytest.raises(AttributeError):
        make(reset_layers=['no_such_layer'])
    with pytest.raises(ValueError, match='reset_interval'):
        make(reset_layers=['project'], reset_interval=0)
