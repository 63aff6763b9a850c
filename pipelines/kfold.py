"""The tutorial's K-fold chapter: cross-validation of any scikit-learn-compatible
model, with per-fold scores and the pooled score.

Defaults are the tutorial's: ``KFold(n_splits=5, shuffle=True, random_state=5731)``.
The model is cloned and fitted on each fold's training rows only, so
preprocessing that learns from data (a scaler, a feature extractor) must be
part of the model, e.g. ``make_pipeline(StandardScaler(), GaussianNB())``;
then nothing from a test fold leaks into its own predictions.

"Pooled" scores are computed once over the out-of-fold predictions of all
samples: pooled accuracy is the tutorial's count, correct answers over all
folds divided by all samples; for regressors pooled RMSE is the root of the
mean squared error over all samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB

from boardgym.pipelines import plotting
from boardgym.pipelines.results import ChapterResult

TUTORIAL_SEED = 5731

Metric = Callable[[np.ndarray, np.ndarray], float]


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


CLASSIFIER_METRICS: dict[str, Metric] = {
    "accuracy": accuracy_score,
    "macro_f1": partial(f1_score, average="macro", zero_division=0.0),
}
REGRESSOR_METRICS: dict[str, Metric] = {"rmse": rmse, "r2": r2_score}


def make_kfold(n_splits: int = 5, shuffle: bool = True, random_state: int | None = TUTORIAL_SEED) -> KFold:
    """The tutorial's splitter. A seed only means something when the rows are
    shuffled, so a seed without shuffling is refused (scikit-learn's rule)."""
    if not shuffle and random_state is not None:
        raise ValueError(
            f"random_state={random_state!r} has no effect when shuffle=False: "
            "pass shuffle=True to shuffle with that seed, or random_state=None to keep the rows in order")
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer of at least 2, got {n_splits!r}")
    return KFold(n_splits=n_splits, shuffle=shuffle, random_state=random_state)


@dataclass
class CrossValidationResult:
    """Scores of one cross-validation."""

    fold_scores: dict[str, np.ndarray]
    """metric name -> its score on each test fold, in fold order."""
    pooled: dict[str, float]
    """metric name -> its score over the out-of-fold predictions of all samples."""
    predictions: np.ndarray
    """each sample's prediction by the model that did not see it."""
    fold_of_sample: np.ndarray
    """the index of the fold in which each sample was a test sample."""
    estimators: list = field(repr=False, default_factory=list)
    """the fitted model of each fold."""

    def spread(self, metric: str) -> float:
        """Standard deviation of ``metric`` over the folds."""
        return float(np.std(self.fold_scores[metric]))


def cross_validate(model, X, y, *, cv=None, metrics: dict[str, Metric] | None = None) -> CrossValidationResult:
    """Fit a clone of ``model`` on each fold's training rows, predict its test
    rows, and score per fold and pooled. ``cv`` defaults to :func:`make_kfold`;
    ``metrics`` to accuracy and macro-F1 for classifiers, RMSE and R^2 else."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    cv = make_kfold() if cv is None else cv
    if metrics is None:
        metrics = CLASSIFIER_METRICS if is_classifier(model) else REGRESSOR_METRICS
    fold_of_sample = np.full(len(y), -1)
    fold_scores: dict[str, list[float]] = {name: [] for name in metrics}
    estimators, test_row_lists, prediction_lists = [], [], []
    for fold, (train_rows, test_rows) in enumerate(cv.split(X, y)):
        fitted = clone(model).fit(X[train_rows], y[train_rows])
        fold_predictions = fitted.predict(X[test_rows])
        fold_of_sample[test_rows] = fold
        estimators.append(fitted)
        test_row_lists.append(test_rows)
        prediction_lists.append(fold_predictions)
        for name, metric in metrics.items():
            fold_scores[name].append(float(metric(y[test_rows], fold_predictions)))
    if (fold_of_sample < 0).any():
        raise ValueError("the splitter left some samples out of every test fold; pooled scores need them all")
    stacked = np.concatenate(prediction_lists)
    predictions = np.empty_like(stacked)
    predictions[np.concatenate(test_row_lists)] = stacked
    pooled = {name: float(metric(y, predictions)) for name, metric in metrics.items()}
    return CrossValidationResult({name: np.array(s) for name, s in fold_scores.items()}, pooled,
                                 predictions, fold_of_sample, estimators)


@dataclass
class KFoldConfig:
    """The K-fold chapter: GaussianNB on scikit-learn's wine data."""

    n_splits: int = 5
    """Number of folds."""
    shuffle: bool = True
    """Shuffle the rows before splitting."""
    seed: int | None = TUTORIAL_SEED
    """Shuffling seed (needs shuffle; None with --no-shuffle keeps the file order)."""
    out: Path = Path("runs/pipelines/kfold")
    """Directory for the plots."""

    def __post_init__(self) -> None:
        if not self.shuffle and self.seed is not None:
            raise ValueError(f"seed={self.seed} has no effect without shuffling: "
                             "use shuffle=True, or seed=None to keep the rows in order")
        if self.n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {self.n_splits}")


def run(config: KFoldConfig = KFoldConfig()) -> ChapterResult:
    """The tutorial's experiment; its printed number is ``pooled_accuracy``."""
    X, y = load_wine(return_X_y=True)
    result = cross_validate(GaussianNB(), X, y, cv=make_kfold(config.n_splits, config.shuffle, config.seed))
    accuracies = result.fold_scores["accuracy"]
    metrics = {
        "pooled_accuracy": result.pooled["accuracy"],
        "correct": int(np.sum(result.predictions == y)),
        "samples": len(y),
        **{f"fold_{i + 1}_accuracy": float(a) for i, a in enumerate(accuracies)},
        "fold_accuracy_std": result.spread("accuracy"),
        "pooled_macro_f1": result.pooled["macro_f1"],
        "fold_macro_f1_std": result.spread("macro_f1"),
    }
    plot = plotting.save_bars(
        {f"fold {i + 1}": float(a) for i, a in enumerate(accuracies)},
        Path(config.out) / "wine_fold_accuracy.png", ylabel="accuracy",
        title=f"GaussianNB on wine: pooled accuracy {result.pooled['accuracy']:.4f} (dashed)",
        reference=result.pooled["accuracy"])
    return ChapterResult(metrics=metrics, plots=[plot])
