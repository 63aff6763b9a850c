"""The shared sampling helpers every policy uses: legal moves only, right odds."""

import numpy as np
import pytest

from boardgym.agents.policy import argmax_legal, check_batch, sample_legal


def test_uniform_sampling_never_picks_illegal_and_is_uniform():
    rng = np.random.default_rng(0)
    mask = np.tile([1, 0, 1, 1, 0, 0, 1], (40_000, 1))
    actions = sample_legal(rng, mask)
    assert set(np.unique(actions)) == {0, 2, 3, 6}
    np.testing.assert_allclose(np.bincount(actions, minlength=7)[[0, 2, 3, 6]] / len(actions), 0.25, atol=0.01)


def test_weighted_sampling_follows_weights_on_legal_moves_only():
    rng = np.random.default_rng(1)
    mask = np.tile([1, 1, 0, 1], (60_000, 1))
    weights = np.tile([1.0, 2.0, 100.0, 1.0], (60_000, 1))  # the illegal move's weight must not count
    freq = np.bincount(sample_legal(rng, mask, weights), minlength=4) / 60_000
    np.testing.assert_allclose(freq, [0.25, 0.5, 0.0, 0.25], atol=0.01)


def test_all_zero_weights_fall_back_to_uniform_over_legal():
    rng = np.random.default_rng(2)
    actions = sample_legal(rng, np.tile([0, 1, 1], (1000, 1)), np.zeros((1000, 3)))
    assert set(np.unique(actions)) == {1, 2}


def test_argmax_legal_ignores_a_better_illegal_value():
    values = np.array([[5.0, 9.0, 1.0], [0.0, 0.0, 0.0]])
    mask = np.array([[1, 0, 1], [0, 1, 1]])
    assert argmax_legal(values, mask).tolist() == [0, 1]


def test_check_batch_rejects_rows_without_legal_moves():
    with pytest.raises(ValueError, match="row 1 .* no legal move"):
        check_batch(np.zeros((2, 2, 3, 3), np.int8), np.array([[1] * 9, [0] * 9]))
