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


def test_two_processes_average_over_every_pair(two_process_results):
    """Ranks hold 3 and 5 of the 8 samples and pair within their own
    halves; ℓ_z is the mean over the pairs of both ranks (1 + 2), the same
    on every rank, and the rank-averaged generator gradient (DDP) is the
    gradient of that global term."""
    from toy_nets import (DIST_SPLIT, build_context, dist_latents,
                          make_generator, make_teacher)
    z_parts = dist_latents().split(list(DIST_SPLIT))
    generator, teacher = make_generator(), make_teacher()
    ratios = []
    for z in z_parts:
        probs = build_context(generator(z), teacher).teacher_logits.softmax(1)
        n = len(z) // 2
        ratios.append((probs[n:2 * n] - probs[:n]).norm(dim=1) /
                      (z[n:2 * n] - z[:n]).norm(dim=1))
    ratios = torch.cat(ratios)
    assert len(ratios) == 3
    reference = 1 / (ratios.mean() + 1e-5)
    reference.backward()
    for rank_result in two_process_results:
        assert_close(rank_result['diversity']['value'], reference.detach())
    for name, p in generator.named_parameters():
        mean_grad = sum(r['diversity']['grads'][name]
                        for r in two_process_results) / 2
        assert_close(mean_grad, p.grad, rtol=1e-4, atol=1e-9)
