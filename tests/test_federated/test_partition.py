"""Dirichlet non-IID partition: coverage, seeds, skew vs alpha, errors."""
import numpy as np
import pytest

from mmdfkd.federated import dirichlet_partition, label_counts

LABELS = np.repeat(np.arange(10), 100)  # 10 classes × 100 samples


def dominant_share(parts, labels=LABELS):
    """Mean over clients of the share of their most frequent class."""
    return np.mean([
        label_counts(labels[p], 10).max() / len(p) for p in parts
    ])


def test_partition_covers_every_sample_once():
    parts = dirichlet_partition(LABELS, 7, alpha=0.5, seed=3, min_size=5)
    assert len(parts) == 7
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(LABELS.size))
    assert min(len(p) for p in parts) >= 5


def test_partition_is_a_function_of_the_seed():
    a = dirichlet_partition(LABELS, 5, alpha=0.3, seed=1)
    b = dirichlet_partition(LABELS, 5, alpha=0.3, seed=1)
    c = dirichlet_partition(LABELS, 5, alpha=0.3, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_skew_grows_as_alpha_falls():
    share = {
        alpha: np.mean([
            dominant_share(dirichlet_partition(LABELS, 10, alpha, seed=s))
            for s in range(3)
        ])
        for alpha in (100.0, 1.0, 0.1)
    }
    # alpha = 100: near IID, the top class holds ~1/10 of a client's data
    assert share[100.0] < 0.2
    assert share[100.0] < share[1.0] < share[0.1]
    assert share[0.1] > 0.6


def test_label_counts():
    assert label_counts([0, 2, 2, 9], 10).tolist() == [
        1, 0, 2, 0, 0, 0, 0, 0, 0, 1
    ]
    with pytest.raises(ValueError, match=r'\[0, 3\)'):
        label_counts([0, 3], 3)


@pytest.mark.parametrize('alpha', [0.0, -1.0])
def test_non_positive_alpha_is_refused(alpha):
    with pytest.raises(ValueError, match='alpha must be > 0'):
        dirichlet_partition(LABELS, 4, alpha)


def test_empty_client_rule():
    # min_size 0 would allow a client without data: refused
    with pytest.raises(ValueError, match='min_size must be >= 1'):
        dirichlet_partition(LABELS, 4, 0.1, min_size=0)
    # more clients than samples can never give everyone data
    with pytest.raises(ValueError, match='fewer clients'):
        dirichlet_partition(LABELS[:5], 6, 0.1)
    # a feasible but unlikely requirement: re-drawn, then a clear error
    with pytest.raises(ValueError, match='raise alpha'):
        dirichlet_partition(LABELS, 10, 0.01, min_size=95, max_draws=5)
    # the default rule re-draws until no client is empty
    parts = dirichlet_partition(LABELS, 50, 0.05, seed=0)
    assert min(len(p) for p in parts) >= 1
