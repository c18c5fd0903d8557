import pytest
import torch
from torch.testing import assert_close

from mmdfkd.models.losses import DistillContext, InterSampleDiversityLoss


def ctx_of(logits, latents):
    return DistillContext(images=torch.zeros(len(logits), 1, 2, 2),
                          teacher_logits=logits, latents=latents)


def test_value_by_hand():
    # pairs (0, 2) and (1, 3): probabilities (1, 0) vs (0, 1) with
    # ‖Δz‖ = 2, identical probabilities with ‖Δz‖ = 1
    big = 50.
    logits = torch.tensor([[big, 0.], [0., 0.], [0., big], [0., 0.]])
    z = torch.tensor([[0., 0.], [0., 0.], [2., 0.], [0., 1.]])
    ratio = (2 ** 0.5 / 2 + 0.) / 2
    term = InterSampleDiversityLoss(eps=0.1, loss_weight=2.)
    assert_close(term(ctx_of(logits, z)), torch.tensor(2 / (ratio + 0.1)))


def test_an_odd_sample_out_is_unpaired():
    logits = torch.randn(5, 3)
    z = torch.randn(5, 4)
    term = InterSampleDiversityLoss()
    assert_close(term(ctx_of(logits, z)), term(ctx_of(logits[:4], z[:4])))


def test_minimising_it_pushes_outputs_apart():
    """Gradient descent on the term separates the teacher's outputs of
    the two halves (the diversity-seeking direction)."""
    torch.manual_seed(0)
    logits = (torch.randn(8, 4) * 0.01).requires_grad_()
    z = torch.randn(8, 6)
    term = InterSampleDiversityLoss()
    before = float(term(ctx_of(logits, z)))
    opt = torch.optim.SGD([logits], lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        term(ctx_of(logits, z)).backward()
        opt.step()
    assert float(term(ctx_of(logits, z))) < 0.5 * before
    probs = logits.softmax(1)
    assert (probs[4:] - probs[:4]).norm(dim=1).mean() > 0.1


def test_missing_latents_or_pairs_are_errors():
    term = InterSampleDiversityLoss()
    with pytest.raises(ValueError, match='generator loss'):
        term(ctx_of(torch.randn(4, 3), None))
    with pytest.raises(ValueError, match='at least 2 samples'):
        term(ctx_of(torch.randn(1, 3), torch.randn(1, 2)))
    with pytest.raises(ValueError, match='eps'):
        InterSampleDiversityLoss(eps=0)
