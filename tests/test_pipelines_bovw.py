"""pipelines.bovw: visual words, histogram encodings, patches and retrieval."""

import math

import numpy as np
import pytest
import torch

from boardgym.envs import rules
from boardgym.pipelines import bovw
from boardgym.pipelines.bovw import (BovwConfig, Vocabulary, extract_patches, nearest_neighbours,
                                     precision_at_k)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def features():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, size=(10, 5))
    return np.concatenate([c + rng.normal(size=(30, 5)) for c in centres])


def test_soft_histogram_follows_the_documented_formula():
    vocabulary = Vocabulary.from_centres([[0.0, 0.0], [2.0, 0.0]], bandwidth=1.0)
    histograms = vocabulary.histogram(np.array([[1.0, 0.0], [0.0, 0.0]]))
    # Halfway: equal shares. On word 0: weights exp(0) and exp(-4 / 2).
    np.testing.assert_allclose(histograms[0], [0.5, 0.5])
    np.testing.assert_allclose(histograms[1], [1 / (1 + math.exp(-2)), math.exp(-2) / (1 + math.exp(-2))])


def test_soft_histograms_are_normalised(features):
    vocabulary = Vocabulary(n_words=10, n_init=4, random_state=0).fit(features)
    histograms = vocabulary.histogram(features)
    assert histograms.shape == (300, 10)
    assert (histograms >= 0).all()
    np.testing.assert_allclose(histograms.sum(axis=1), 1.0)
    # Far-apart clusters: each point's mass sits on its own word.
    np.testing.assert_array_equal(histograms.argmax(axis=1), vocabulary.assign(features))
    assert vocabulary.bandwidth == pytest.approx(5.0, rel=0.2)  # E||noise||^2 = dimension 5


def test_classic_histogram_counts_nearest_words():
    vocabulary = Vocabulary.from_centres([[0.0], [10.0], [20.0]], bandwidth=1.0)
    patches = np.array([[[1.0], [2.0], [9.0], [30.0]],
                        [[19.0], [21.0], [22.0], [-5.0]]])
    np.testing.assert_allclose(vocabulary.histogram(patches), [[0.5, 0.25, 0.25], [0.25, 0.0, 0.75]])
    ragged = vocabulary.histogram([np.array([[0.0]]), np.array([[10.0], [11.0], [20.0]])])
    np.testing.assert_allclose(ragged, [[1.0, 0.0, 0.0], [0.0, 2 / 3, 1 / 3]])


def test_same_seed_same_words_labels_and_histograms(features):
    first = Vocabulary(n_words=10, n_init=3, random_state=11).fit(features)
    again = Vocabulary(n_words=10, n_init=3, random_state=11).fit(features)
    np.testing.assert_array_equal(first.centres, again.centres)
    np.testing.assert_array_equal(first.assign(features), again.assign(features))
    np.testing.assert_array_equal(first.histogram(features), again.histogram(features))


def test_rebuilt_vocabulary_encodes_identically(features):
    fitted = Vocabulary(n_words=10, n_init=2, random_state=0).fit(features)
    rebuilt = Vocabulary.from_centres(torch.tensor(fitted.centres).numpy(), fitted.bandwidth)
    np.testing.assert_array_equal(rebuilt.histogram(features), fitted.histogram(features))


def test_vocabulary_errors_are_clear(features):
    with pytest.raises(ValueError, match="not fitted"):
        Vocabulary().histogram(features)
    fitted = Vocabulary(n_words=3, n_init=1).fit(features)
    with pytest.raises(ValueError, match=r"features must be \(N, 5\), got shape \(2, 4\)"):
        fitted.histogram(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="2 feature vectors cannot make 10 words"):
        Vocabulary(n_words=10).fit(features[:2])
    with pytest.raises(ValueError, match="n_init must be at least 1"):
        Vocabulary(n_init=0)


def test_patches_of_a_small_array():
    arrays = np.arange(9).reshape(1, 1, 3, 3)
    patches = extract_patches(arrays, window=2, stride=1)
    assert patches.tolist() == [[[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]]


def test_patches_of_connect_four_planes():
    planes = rules.observe(rules.CONNECT_FOUR, rules.replay(rules.CONNECT_FOUR, "4453"))
    patches = extract_patches(np.repeat(planes, 2, axis=0), window=4, stride=1)
    assert patches.shape == (2, 3 * 4, 2 * 16)
    # Patches run row by row, so the last one is the bottom-right 4x4 corner.
    last = patches[0, -1].reshape(2, 4, 4)
    np.testing.assert_array_equal(last, planes[0, :, 2:, 3:])
    assert extract_patches(planes, window=(2, 3), stride=(2, 2)).shape == (1, 3 * 3, 2 * 6)
    with pytest.raises(ValueError, match="window"):
        extract_patches(planes, window=7)


def test_retrieval_and_precision_at_k():
    database = np.array([[0.0], [1.0], [10.0], [11.0], [12.0]])
    labels = np.array([0, 0, 1, 1, 0])
    neighbours = nearest_neighbours(np.array([[0.2], [11.2]]), database, k=2)
    assert neighbours.tolist() == [[0, 1], [3, 4]]
    assert precision_at_k(np.array([0, 1]), labels, neighbours) == 0.75
    with pytest.raises(ValueError, match="k must be between 1 and the database size 5"):
        nearest_neighbours(database, database, k=6)


def test_run_is_deterministic_and_draws_the_words(tmp_path):
    config = BovwConfig(epochs=1, n_init=2, out=tmp_path)
    first, again = bovw.run(config), bovw.run(config)
    assert first.metrics == again.metrics
    assert set(first.metrics) == {"pixels_precision_at_10", "latent_precision_at_10", "bovw_precision_at_10"}
    # Raw pixels need no training: their precision is exact.
    assert first.metrics["pixels_precision_at_10"] == pytest.approx(0.9580555555555555)
    assert first.plots == [tmp_path / "visual_words.png"] and first.plots[0].exists()
