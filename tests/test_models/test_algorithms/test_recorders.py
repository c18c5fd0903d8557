import pytest
import torch
from torch import nn
from torch.testing import assert_close

from mmdfkd.models.algorithms.recorders import (BNMomentsRecorder,
                                                FeatureRecorder,
                                                batchnorm_layers)


class Net(nn.Module):
    """conv → bn1 → relu → conv → bn2 → relu → pool → head."""

    def __init__(self) -> None:
        super().__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
            nn.ReLU())
        self.layer2 = nn.Sequential(
            nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(5), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(5, 2)

    def forward(self, x):
        return self.head(self.pool(self.layer2(self.layer1(x))).flatten(1))


def make_net(seed=0) -> Net:
    torch.manual_seed(seed)
    net = Net()
    with torch.no_grad():
        for bn in batchnorm_layers(net):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    return net.eval()


def hand_picked_bn():
    """One BatchNorm2d(2) with running mean (1, 1), and an input with
    channel 0 = 1, 3, 5, 7 and channel 1 = 0, 0, 2, 2 (N=2, H=1, W=2)."""
    bn = nn.BatchNorm2d(2)
    bn.running_mean.fill_(1.)
    bn.running_var.copy_(torch.tensor([2., 3.]))
    x = torch.tensor([[[[1., 3.]], [[0., 0.]]], [[[5., 7.]], [[2., 2.]]]])
    return nn.Sequential(bn).eval(), x


# ======================================================= BNMomentsRecorder


def test_bn_moments_hand_picked():
    # d = x - 1: channel 0 -> 0, 2, 4, 6 (sum 12, squares 56);
    #            channel 1 -> -1, -1, 1, 1 (sum 0, squares 4).
    model, x = hand_picked_bn()
    rec = BNMomentsRecorder(model)
    rec.start()
    model(x)
    (m, ) = rec.stop()
    assert_close(m.shifted_sum, torch.tensor([12., 0.]))
    assert_close(m.shifted_sq_sum, torch.tensor([56., 4.]))
    assert m.count == 4
    assert_close(m.running_var, torch.tensor([2., 3.]))


def test_bn_moments_every_layer_in_forward_order():
    net = make_net()
    x = torch.randn(3, 3, 6, 6)
    # independent capture of the BN inputs
    inputs = []
    handles = [
        bn.register_forward_pre_hook(lambda m, a: inputs.append(a[0]))
        for bn in (net.layer1[1], net.layer2[1])
    ]
    rec = BNMomentsRecorder(net)
    assert rec.layers == [net.layer1[1], net.layer2[1]]
    rec.start()
    net(x)
    moments = rec.stop()
    for h in handles:
        h.remove()

    assert len(moments) == 2
    for m, x_in, bn in zip(moments, inputs, (net.layer1[1], net.layer2[1])):
        n, c, h, w = x_in.shape
        sums, sq_sums = torch.zeros(c), torch.zeros(c)
        for ch in range(c):
            d = x_in[:, ch] - bn.running_mean[ch]
            sums[ch], sq_sums[ch] = d.sum(), (d * d).sum()
        assert_close(m.shifted_sum, sums)
        assert_close(m.shifted_sq_sum, sq_sums)
        assert m.count == n * h * w
        assert torch.equal(m.running_var, bn.running_var)
    assert moments[0].count == 3 * 36 and moments[1].count == 3 * 9


def test_bn_moments_recorded_only_between_start_and_stop():
    net = make_net()
    x = torch.randn(2, 3, 4, 4)
    rec = BNMomentsRecorder(net)
    net(x)
    assert rec.stop() == []
    rec.start()
    net(x)
    net(x)  # two forwards: two records per layer
    assert len(rec.stop()) == 4
    net(x)
    assert rec.stop() == []
    # start() discards what an earlier, unstopped recording held
    rec.start()
    net(x)
    rec.start()
    net(x)
    assert len(rec.stop()) == 2


def test_bn_moments_batchnorm1d():
    bn = nn.BatchNorm1d(3).eval()
    bn.running_mean.copy_(torch.tensor([0., 1., 2.]))
    x2 = torch.tensor([[1., 1., 1.], [3., 1., 5.]])  # N×C
    rec = BNMomentsRecorder(bn)
    rec.start()
    bn(x2)
    bn(torch.ones(2, 3, 4))  # N×C×L
    m2, m3 = rec.stop()
    # d = (1, 0, -1) and (3, 0, 3)
    assert_close(m2.shifted_sum, torch.tensor([4., 0., 2.]))
    assert_close(m2.shifted_sq_sum, torch.tensor([10., 0., 10.]))
    assert m2.count == 2
    # d = 1 - running_mean over 8 positions
    assert_close(m3.shifted_sum, torch.tensor([8., 0., -8.]))
    assert m3.count == 8


def test_bn_moments_are_differentiable():
    # d(Σ d)/dx = 1, d(Σ d²)/dx = 2 d
    model, x = hand_picked_bn()
    x.requires_grad_(True)
    rec = BNMomentsRecorder(model)
    rec.start()
    model(x)
    (m, ) = rec.stop()
    (g_sum, ) = torch.autograd.grad(m.shifted_sum.sum(), x, retain_graph=True)
    assert_close(g_sum, torch.ones_like(x))
    (g_sq, ) = torch.autograd.grad(m.shifted_sq_sum.sum(), x)
    assert_close(g_sq, 2 * (x.detach() - 1.))


def test_bn_moments_no_batchnorm():
    rec = BNMomentsRecorder(nn.Linear(2, 2))
    assert rec.layers == []
    rec.start()
    assert rec.stop() == []


# ========================================================= FeatureRecorder


def test_features_outputs_and_inputs():
    net = make_net()
    x = torch.randn(2, 3, 6, 6)
    rec = FeatureRecorder(net, ['layer1', 'head:in', 'layer2.0'])
    rec.start()
    net(x)
    feats = rec.stop()
    assert set(feats) == {'layer1', 'head:in', 'layer2.0'}
    with torch.no_grad():
        f1 = net.layer1(x)
        conv2 = net.layer2[0](f1)
        pooled = net.pool(net.layer2(f1)).flatten(1)
    assert_close(feats['layer1'], f1)
    assert_close(feats['layer2.0'], conv2)
    assert_close(feats['head:in'], pooled)


class TupleNet(nn.Module):
    """A backbone returning a tuple of stages, and a head taking it (as the
    OpenMMLab classifiers do)."""

    class Backbone(nn.Module):

        def forward(self, x):
            return (x + 1, x * 2)

    class Head(nn.Module):

        def forward(self, feats):
            return feats[-1].sum(dim=1)

    def __init__(self):
        super().__init__()
        self.backbone = self.Backbone()
        self.head = self.Head()

    def forward(self, x):
        return self.head(self.backbone(x))


def test_tuple_records_reduce_to_last_item():
    net = TupleNet()
    x = torch.tensor([[1., 2.]])
    rec = FeatureRecorder(net, ['backbone', 'head:in'])
    rec.start()
    net(x)
    feats = rec.stop()
    assert_close(feats['backbone'], torch.tensor([[2., 4.]]))
    assert_close(feats['head:in'], torch.tensor([[2., 4.]]))


def test_features_recorded_only_between_start_and_stop():
    net = make_net()
    x = torch.randn(1, 3, 4, 4)
    rec = FeatureRecorder(net, ['layer1'])
    net(x)
    assert rec.stop() == {}
    rec.start()
    net(x)
    assert set(rec.stop()) == {'layer1'}
    net(x)
    assert rec.stop() == {}


def test_features_keep_the_graph():
    net = make_net()
    x = torch.randn(1, 3, 4, 4, requires_grad=True)
    rec = FeatureRecorder(net, ['layer2:in'])
    rec.start()
    net(x)
    rec.stop()['layer2:in'].abs().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_feature_names_deduplicated_and_empty():
    net = make_net()
    rec = FeatureRecorder(net, ['layer1', 'layer1', 'head:in'])
    assert rec.names == ['head:in', 'layer1']
    empty = FeatureRecorder(net, [])
    empty.start()
    assert not empty.active
    net(torch.randn(1, 3, 4, 4))
    assert empty.stop() == {}


@pytest.mark.parametrize(
    'name', ['nope', 'layer3', 'layer1.9', 'head:in:x', 'layer1:out'])
def test_unknown_record_raises_key_error(name):
    with pytest.raises(KeyError, match='cannot record'):
        FeatureRecorder(make_net(), ['layer1', name])


def test_recorders_follow_replaced_layers():
    """A SyncBN-style conversion replaces the BatchNorm modules after the
    recorders were made: start() hooks the new ones."""
    net = Net().eval()
    bn_rec = BNMomentsRecorder(net)
    feat_rec = FeatureRecorder(net, ['layer1.1'])
    old = net.layer1[1]
    new = torch.nn.BatchNorm2d(old.num_features).eval()
    new.load_state_dict(old.state_dict())
    net.layer1[1] = new
    x = torch.randn(2, 3, 6, 6)
    bn_rec.start()
    feat_rec.start()
    net(x)
    moments, feats = bn_rec.stop(), feat_rec.stop()
    assert bn_rec.layers[0] is new
    assert len(moments) == 2
    assert set(feats) == {'layer1.1'}


def test_shifted_moments_match_autograd_of_the_plain_expression():
    from mmdfkd.models.algorithms.recorders import ShiftedMoments
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, 2, dtype=torch.float64, requires_grad=True)
    shift = torch.randn(4, dtype=torch.float64)
    s, sq = ShiftedMoments.apply(x, shift)
    d = x - shift.view(1, -1, 1, 1)
    torch.testing.assert_close(s, d.sum(dim=(0, 2, 3)))
    torch.testing.assert_close(sq, d.pow(2).sum(dim=(0, 2, 3)))
    assert torch.autograd.gradcheck(
        lambda t: ShiftedMoments.apply(t, shift), (x, ))
    # 2-d inputs (BatchNorm1d): every dimension but the channels
    y = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: ShiftedMoments.apply(t, shift), (y, ))
