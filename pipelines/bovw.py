"""The tutorial's bag-of-visual-words chapter: K-Means "visual words" over
feature vectors, histogram encodings, and retrieval scored by precision@k.

Two histogram forms (see :meth:`Vocabulary.histogram`):

* one feature vector per image (``(N, D)``, e.g. autoencoder latents): a soft
  assignment of the vector over the words, from its distances to them;
* many local descriptors per image (``(N, P, D)``, e.g. the patches of
  :func:`extract_patches`, each encoded): the classic bag of words, each
  descriptor votes for its nearest word and the image is the normalised count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.cluster import KMeans
from sklearn.neighbors import NearestNeighbors

from boardgym.pipelines import plotting
from boardgym.pipelines.autoencoder import extract_latent_features, fit_autoencoder, make_image_loader, split_digits
from boardgym.pipelines.results import ChapterResult
from boardgym.pipelines.training import check_seed, torch_threads


def _squared_distances(features: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, K) squared Euclidean distances, in float64."""
    features = np.asarray(features, dtype=np.float64)
    squared = (features**2).sum(1)[:, None] - 2 * features @ centres.T + (centres**2).sum(1)[None, :]
    return np.maximum(squared, 0.0)


class Vocabulary:
    """K visual words: the centres of ``KMeans(n_clusters=n_words, n_init,
    random_state)`` fitted on feature vectors.

    After :meth:`fit` (or :meth:`from_centres`) it holds ``centres`` (K, D) and
    the soft-assignment ``bandwidth`` sigma^2, both plain arrays, so a
    checkpoint can store them as tensors and rebuild the vocabulary exactly.
    """

    def __init__(self, n_words: int = 10, n_init: int = 10, random_state: int = 0):
        if n_words < 1:
            raise ValueError(f"n_words must be at least 1, got {n_words}")
        if n_init < 1:
            raise ValueError(f"n_init must be at least 1, got {n_init}")
        self.n_words, self.n_init = int(n_words), int(n_init)
        self.random_state = check_seed(random_state, "random_state")
        self.centres: np.ndarray | None = None
        self.bandwidth: float | None = None

    def fit(self, features: np.ndarray) -> "Vocabulary":
        """Cluster ``features`` (N, D); sigma^2 = the mean squared distance of a
        training feature to its nearest word (the scale of a word's cluster)."""
        features = self._check_features(features, fitted=False)
        if len(features) < self.n_words:
            raise ValueError(f"{len(features)} feature vectors cannot make {self.n_words} words")
        kmeans = KMeans(n_clusters=self.n_words, n_init=self.n_init, random_state=self.random_state)
        kmeans.fit(features)
        self.centres = kmeans.cluster_centers_.astype(np.float64)
        self.bandwidth = float(_squared_distances(features, self.centres).min(axis=1).mean()) or 1.0
        return self

    @classmethod
    def from_centres(cls, centres: np.ndarray, bandwidth: float) -> "Vocabulary":
        """A fitted vocabulary from stored words and bandwidth."""
        centres = np.asarray(centres, dtype=np.float64)
        if centres.ndim != 2 or not bandwidth > 0:
            raise ValueError(f"need centres (K, D) and a positive bandwidth, got {centres.shape} and {bandwidth}")
        vocabulary = cls(n_words=len(centres))
        vocabulary.centres, vocabulary.bandwidth = centres, float(bandwidth)
        return vocabulary

    def _check_features(self, features, fitted: bool = True) -> np.ndarray:
        features = np.asarray(features, dtype=np.float64)
        if fitted and self.centres is None:
            raise ValueError("the vocabulary is not fitted; call fit(features) first")
        if features.ndim != 2 or (fitted and features.shape[1] != self.centres.shape[1]):
            expected = "(N, D)" if not fitted else f"(N, {self.centres.shape[1]})"
            raise ValueError(f"features must be {expected}, got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError("features contain NaN or infinite values")
        return features

    def assign(self, features: np.ndarray) -> np.ndarray:
        """The nearest word of each feature vector (N,)."""
        return _squared_distances(self._check_features(features), self.centres).argmin(axis=1)

    def histogram(self, features) -> np.ndarray:
        """Word histograms, float64 ``(N, n_words)``, each row summing to 1.

        * ``features`` ``(N, D)``, one vector per image: soft assignment by a
          Gaussian kernel on the distances (a "kernel codebook"),
          ``h_j(x) = exp(-||x - c_j||^2 / (2 sigma^2)) / sum_k exp(-||x - c_k||^2 / (2 sigma^2))``,
          with ``c_j`` the words and ``sigma^2`` the bandwidth set by :meth:`fit`:
          near one word -> mass on it; between words -> shared.
        * ``features`` ``(N, P, D)``, P local descriptors per image (or a
          list of (P_i, D) arrays): hard assignment,
          ``h_j = #{descriptors whose nearest word is j} / P``.
        """
        if isinstance(features, np.ndarray) and features.ndim == 2:
            exponent = -_squared_distances(self._check_features(features), self.centres) / (2 * self.bandwidth)
            weights = np.exp(exponent - exponent.max(axis=1, keepdims=True))
            return weights / weights.sum(axis=1, keepdims=True)
        per_image = list(features)
        if any(np.ndim(descriptors) != 2 or len(descriptors) == 0 for descriptors in per_image):
            raise ValueError("local descriptors must be (N, P, D) or a list of non-empty (P, D) arrays")
        words = [self.assign(descriptors) for descriptors in per_image]
        counts = np.stack([np.bincount(w, minlength=self.n_words) for w in words]).astype(np.float64)
        return counts / counts.sum(axis=1, keepdims=True)


def extract_patches(arrays: np.ndarray, window: int | tuple[int, int] = 4, stride: int | tuple[int, int] = 1) -> np.ndarray:
    """Every ``window`` patch of ``(N, C, H, W)`` arrays, ``stride`` apart, as flat
    descriptors ``(N, P, C * wh * ww)``; patches are ordered by top-left corner,
    row by row (P = ((H - wh) // sh + 1) * ((W - ww) // sw + 1))."""
    arrays = np.asarray(arrays)
    if arrays.ndim != 4:
        raise ValueError(f"arrays must be (N, C, H, W), got shape {arrays.shape}")
    wh, ww = (window, window) if np.isscalar(window) else window
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    n, channels, height, width = arrays.shape
    if not (1 <= wh <= height and 1 <= ww <= width):
        raise ValueError(f"window {(wh, ww)} does not fit in {height}x{width}")
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be at least 1, got {(sh, sw)}")
    views = sliding_window_view(arrays, (wh, ww), axis=(2, 3))[:, :, ::sh, ::sw]  # (N, C, ph, pw, wh, ww)
    patches = views.transpose(0, 2, 3, 1, 4, 5)  # (N, ph, pw, C, wh, ww)
    return patches.reshape(n, -1, channels * wh * ww)


def nearest_neighbours(queries: np.ndarray, database: np.ndarray, k: int, metric: str = "euclidean") -> np.ndarray:
    """Indices ``(Q, k)`` of each query's k nearest database rows, nearest first."""
    if not 1 <= k <= len(database):
        raise ValueError(f"k must be between 1 and the database size {len(database)}, got {k}")
    index = NearestNeighbors(n_neighbors=k, metric=metric).fit(np.asarray(database))
    return index.kneighbors(np.asarray(queries), return_distance=False)


def precision_at_k(query_labels: np.ndarray, database_labels: np.ndarray, neighbours: np.ndarray) -> float:
    """Mean over queries of the share of their retrieved items with the query's label."""
    hits = np.asarray(database_labels)[neighbours] == np.asarray(query_labels)[:, None]
    return float(hits.mean())


@dataclass
class BovwConfig:
    """The bag-of-visual-words chapter on scikit-learn's digits (28x28)."""

    n_words: int = 10
    """Visual words (K-Means clusters)."""
    n_init: int = 10
    """K-Means restarts (the best one is kept)."""
    k: int = 10
    """Retrieved images per query for precision@k."""
    latent_size: int = 128
    """Autoencoder latent size."""
    epochs: int = 20
    """Autoencoder training passes."""
    test_fraction: float = 0.2
    """Share of the images used as held-out queries; the rest is the database."""
    n_shown: int = 8
    """Images drawn per visual word."""
    seed: int = 5731
    """Seed of the split, the autoencoder and K-Means."""
    threads: int = 1
    """Torch CPU threads for training (more rarely help networks this small)."""
    out: Path = Path("runs/pipelines/bovw")
    """Directory for the plots."""

    def __post_init__(self) -> None:
        for name in ("n_words", "n_init", "k", "latent_size", "epochs", "n_shown", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        check_seed(self.seed)


def run(config: BovwConfig = BovwConfig()) -> ChapterResult:
    """Digits -> autoencoder latents -> vocabulary -> histograms; retrieve the
    database images nearest to each held-out query with three representations
    (raw pixels, latents, word histograms) and compare precision@k."""
    database, queries, database_labels, query_labels = split_digits(config.test_fraction, config.seed)
    with torch_threads(config.threads):
        model, _ = fit_autoencoder(database, latent_size=config.latent_size, epochs=config.epochs,
                                   seed=config.seed)
    latents = {name: extract_latent_features(model, make_image_loader(images, batch_size=256, shuffle=False))
               for name, images in (("database", database), ("queries", queries))}
    vocabulary = Vocabulary(config.n_words, config.n_init, config.seed).fit(latents["database"])
    representations = {
        "pixels": (database.reshape(len(database), -1), queries.reshape(len(queries), -1)),
        "latent": (latents["database"], latents["queries"]),
        "bovw": (vocabulary.histogram(latents["database"]), vocabulary.histogram(latents["queries"])),
    }
    metrics = {}
    for name, (database_features, query_features) in representations.items():
        neighbours = nearest_neighbours(query_features, database_features, config.k)
        metrics[f"{name}_precision_at_{config.k}"] = precision_at_k(query_labels, database_labels, neighbours)
    word_examples = nearest_neighbours(vocabulary.centres, latents["database"], config.n_shown)
    plot = plotting.save_image_grid(
        [database[row] for row in word_examples], Path(config.out) / "visual_words.png",
        row_titles=[f"word {j}" for j in range(config.n_words)],
        title=f"the {config.n_shown} database digits nearest each visual word")
    return ChapterResult(metrics=metrics, plots=[plot])
