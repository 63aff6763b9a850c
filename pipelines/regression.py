"""The tutorial's feed-forward regression chapter as a scikit-learn estimator.

The network is ``Linear(n, 64) ReLU Linear(64, 32) ReLU Linear(32, 1)`` trained
with MSE and Adam (lr 0.01) by the five-step loop of :func:`training.train`.
:class:`FeedForwardRegressor` wraps it with ``fit``/``predict``/``score`` so it
sits inside ``Pipeline([("scale", StandardScaler()), ("net", ...)])`` and
inside scikit-learn's cross-validation: whatever learns from data (the scaler,
the network) is then fitted on the training rows only, which makes leakage
impossible by construction. :class:`FeedForwardClassifier` is the same network
with one output per class and cross-entropy, for labelled positions.

Both pass scikit-learn's estimator checks (tests/test_pipelines_regression.py
runs them all but the array-API check and the pandas half of the
non-ndarray-input check, which need packages boardgym does not depend on).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from boardgym.pipelines import plotting
from boardgym.pipelines.results import ChapterResult
from boardgym.pipelines.training import build_mlp, evaluating, make_loader, seeded, torch_threads, train


def _forward(model: nn.Module, batch):
    inputs, targets = batch
    return model(inputs), targets


class _FeedForwardEstimator(BaseEstimator):
    """Shared fitting: validate, build the seeded network, run the loop."""

    def __init__(self, hidden_sizes=(64, 32), lr=0.01, epochs=200, batch_size=None,
                 random_state=0):
        self.hidden_sizes = hidden_sizes
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    def _fit_network(self, X: np.ndarray, targets: np.ndarray, n_outputs: int, loss_fn) -> None:
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be None (full batch) or at least 1, got {self.batch_size}")
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        with seeded(seed):
            self.model_ = build_mlp(X.shape[1], self.hidden_sizes, n_outputs)
        loader = make_loader(X, targets, batch_size=self.batch_size or len(X), shuffle=True, seed=seed)
        self.loss_curve_ = train(self.model_, loader, _forward, loss_fn, epochs=self.epochs, lr=self.lr)

    def _network_output(self, X) -> np.ndarray:
        """The network's outputs in float64: float32 sums would depend on how
        many rows share a matrix product, and a row's prediction must not."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with evaluating(copy.deepcopy(self.model_).double()) as model:
            return model(torch.tensor(X)).numpy()


class FeedForwardRegressor(RegressorMixin, _FeedForwardEstimator):
    """The tutorial's 64-32-1 network as a scikit-learn regressor.

    Parameters: ``hidden_sizes`` (widths of the hidden ReLU layers), ``lr``
    (Adam step size), ``epochs`` (passes over the data), ``batch_size`` (None =
    full batch, else mini-batches shuffled by a seeded generator),
    ``random_state`` (seed of the initial weights and the shuffling; None draws
    one from numpy's global RNG, as scikit-learn does).

    The target is standardised with the training rows' mean and standard
    deviation before the MSE loss and mapped back in ``predict``: the loss is
    then on a unit scale whatever the target's units, so ``lr`` 0.01 suits any
    data set (the diabetes target runs from 25 to 346).
    """

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        y = y.astype(np.float64)
        self.target_mean_ = float(y.mean())
        self.target_scale_ = float(y.std()) or 1.0
        targets = ((y - self.target_mean_) / self.target_scale_).astype(np.float32)[:, None]
        self._fit_network(X, targets, 1, nn.MSELoss())
        return self

    def predict(self, X) -> np.ndarray:
        return self._network_output(X)[:, 0] * self.target_scale_ + self.target_mean_


class FeedForwardClassifier(ClassifierMixin, _FeedForwardEstimator):
    """The same network with one output per class, trained with cross-entropy;
    ``predict_proba`` is the softmax of the outputs. Same parameters as
    :class:`FeedForwardRegressor`."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, class_index = np.unique(y, return_inverse=True)
        self._fit_network(X, class_index.astype(np.int64), len(self.classes_), nn.CrossEntropyLoss())
        return self

    def predict_proba(self, X) -> np.ndarray:
        logits = self._network_output(X)
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        best = np.argmax(self._network_output(X), axis=1)
        return self.classes_[best]


def make_regression_pipeline(**network_params) -> Pipeline:
    """``Pipeline([("scale", StandardScaler()), ("net", FeedForwardRegressor(...))])``."""
    return Pipeline([("scale", StandardScaler()), ("net", FeedForwardRegressor(**network_params))])


@dataclass
class RegressionConfig:
    """The regression chapter on scikit-learn's diabetes data."""

    test_fraction: float = 0.2
    """Share of the rows held out for testing."""
    epochs: int = 20
    """Full-batch training passes (more overfit the 353 training rows: test R^2 falls)."""
    lr: float = 0.01
    """Adam step size."""
    batch_size: int | None = None
    """Mini-batch size; None trains full batch."""
    seed: int = 5731
    """Seed of the split, the initial weights and the shuffling."""
    threads: int = 1
    """Torch CPU threads for training (more rarely help networks this small)."""
    out: Path = Path("runs/pipelines/regression")
    """Directory for the plots."""

    def __post_init__(self) -> None:
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be None or at least 1, got {self.batch_size}")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")


def run(config: RegressionConfig = RegressionConfig()) -> ChapterResult:
    """Diabetes: fit the scaled network and a scaled linear baseline on the same
    training rows; report test RMSE and R^2 for both; plot predicted vs true."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=config.test_fraction, random_state=config.seed)
    models = {
        "network": make_regression_pipeline(epochs=config.epochs, lr=config.lr,
                                            batch_size=config.batch_size, random_state=config.seed),
        "linear": Pipeline([("scale", StandardScaler()), ("linear", LinearRegression())]),
    }
    metrics: dict[str, float] = {}
    predictions = {}
    for name, model in models.items():
        with torch_threads(config.threads):
            predictions[name] = model.fit(X_train, y_train).predict(X_test)
        metrics[f"{name}_test_rmse"] = float(np.sqrt(mean_squared_error(y_test, predictions[name])))
        metrics[f"{name}_test_r2"] = float(r2_score(y_test, predictions[name]))
    plot = plotting.save_predicted_vs_true(
        y_test, predictions, Path(config.out) / "diabetes_predicted_vs_true.png",
        title=f"diabetes, {len(y_test)} held-out rows")
    return ChapterResult(metrics=metrics, plots=[plot])
