"""Experiment 2 (``boardgym experiment outcome``): how well do the encodings
predict the perfect-play value of real positions?

* Outcome classification on the UCI "Connect-4" sample (8-stone boards,
  win/draw/loss for the first player): the pipelines K-fold (5 folds,
  shuffled, seed 5731) of the majority class, GaussianNB on the raw cells
  (+1 first player, -1 second, 0 empty), GaussianNB on autoencoder latents,
  GaussianNB on BoVW histograms, and the pipelines feed-forward network as a
  classifier and as a regressor of +1/0/-1 rounded to the nearest class.
* Value regression on Pascal Pons' scored positions (both files): the
  pipelines 64-32-1 regressor, a linear baseline and the mean predict the exact score
  from the side to move's planes; K-fold R^2, RMSE and the share of positions
  whose sign (win/draw/loss) is right.

Every model is a scikit-learn Pipeline fed the flattened planes, so whatever
learns from data (scalers, autoencoders, vocabularies) is fitted inside each
training fold only. The autoencoder and BoVW features are the agents'
encoders themselves (:mod:`boardgym.agents.pipeline_encoders`), wrapped as a
transformer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from boardgym.agents.encoders import make_encoder
from boardgym.envs.rules import CONNECT_FOUR
from boardgym.pipelines.datasets import read_pons, read_uci_connect4
from boardgym.pipelines.kfold import REGRESSOR_METRICS, cross_validate, make_kfold
from boardgym.pipelines.regression import FeedForwardClassifier, FeedForwardRegressor

REPO_ROOT = Path(__file__).resolve().parent.parent
PONS_FILES = ("Test_L2_R1", "Test_L3_R1")


@dataclass
class OutcomeExperimentConfig:
    """K-fold models predicting UCI connect-4 outcomes and Pons scores from board positions."""

    uci_path: str = "../shared/data/uci_connect4_sample30/connect-4.sample30.data"
    """UCI connect-4 file; a relative path is tried from the current directory, then from the repository."""
    pons_dir: str = "../shared/data/pons_connect4"
    """Folder of Pons' Test_L2_R1 and Test_L3_R1 files (relative: as uci_path)."""
    n_splits: int = 5
    """Folds."""
    seed: int = 5731
    """Seed of the fold shuffling and of every model."""
    epochs: int = 30
    """Training passes of the feed-forward networks on the UCI positions."""
    value_epochs: int = 300
    """Training passes of the feed-forward regressor on the (ten times fewer) Pons positions."""
    batch_size: int = 256
    """Mini-batch size of the feed-forward networks."""
    out: str = "runs/experiments/outcome"
    """Directory of the Markdown report (outcome.md)."""
    skip_pons: bool = False
    """Only the UCI outcome task."""

    def __post_init__(self) -> None:
        if self.n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {self.n_splits}")
        for name in ("epochs", "value_epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


def find_data(path: str | Path, what: str) -> Path:
    """``path`` itself if it exists; a relative path is also tried from the
    repository root; else a FileNotFoundError naming every place tried."""
    path = Path(path)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, REPO_ROOT / path]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"{what} not found (tried {tried}); pass its location explicitly")


# ---------------------------------------------------------------------------
# Features and models
# ---------------------------------------------------------------------------


def cell_values(flat_planes: np.ndarray) -> np.ndarray:
    """Flattened planes ``(N, 2 * cells)`` -> cell values ``(N, cells)``: +1 plane 0, -1 plane 1, 0 empty."""
    flat_planes = np.asarray(flat_planes, dtype=np.float32)
    cells = flat_planes.shape[1] // 2
    return flat_planes[:, :cells] - flat_planes[:, cells:]


class EncoderFeatures(TransformerMixin, BaseEstimator):
    """An agents encoder (``autoencoder`` or ``bovw``) as a scikit-learn transformer
    of flattened planes: ``fit`` fits a fresh encoder (seeded by
    ``random_state``) on the training positions, ``transform`` encodes."""

    def __init__(self, encoder: str = "autoencoder", game: str = "connect_four", random_state: int = 0):
        self.encoder = encoder
        self.game = game
        self.random_state = random_state

    def _planes(self, X) -> np.ndarray:
        from boardgym.envs.rules import get_game

        game = get_game(self.game)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != 2 * game.n_cells:
            raise ValueError(f"X must be flattened {game.name} planes (N, {2 * game.n_cells}), got shape {X.shape}")
        return X.reshape(len(X), 2, game.rows, game.cols).astype(np.int8)

    def fit(self, X, y=None):
        self.encoder_ = make_encoder(self.encoder, self.game, seed=self.random_state, fit=False).fit(self._planes(X))
        return self

    def transform(self, X) -> np.ndarray:
        with torch.no_grad():
            return self.encoder_(torch.as_tensor(self._planes(X))).numpy().astype(np.float64)


class RoundedRegressionClassifier(ClassifierMixin, BaseEstimator):
    """A regressor of numeric class labels used as a classifier: it predicts the
    label nearest to the regressor's output (so +1/0/-1 outcomes become a
    regression of the value)."""

    def __init__(self, regressor=None):
        self.regressor = regressor

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.regressor_ = clone(self.regressor).fit(X, np.asarray(y, dtype=np.float64))
        return self

    def predict(self, X) -> np.ndarray:
        values = self.regressor_.predict(X)
        return self.classes_[np.abs(values[:, None] - self.classes_[None, :]).argmin(axis=1)]


def outcome_models(config: OutcomeExperimentConfig) -> dict:
    """Name -> unfitted model of flattened planes (N, 84), the UCI task's contestants."""
    cells = FunctionTransformer(cell_values)
    network = {"epochs": config.epochs, "batch_size": config.batch_size, "random_state": config.seed}
    return {
        "majority class": DummyClassifier(strategy="most_frequent"),
        "GaussianNB, raw cells": make_pipeline(cells, GaussianNB()),
        "GaussianNB, autoencoder latents": make_pipeline(EncoderFeatures("autoencoder", random_state=config.seed),
                                                         GaussianNB()),
        "GaussianNB, BoVW histograms": make_pipeline(EncoderFeatures("bovw", random_state=config.seed), GaussianNB()),
        "feed-forward classifier, raw cells": make_pipeline(cells, StandardScaler(), FeedForwardClassifier(**network)),
        "feed-forward regression of +1/0/-1, raw cells": RoundedRegressionClassifier(
            make_pipeline(cells, StandardScaler(), FeedForwardRegressor(**network))),
    }


def sign_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of positions whose predicted result (win > 0.5, loss < -0.5, else draw) is right."""
    predicted = np.where(y_pred > 0.5, 1, np.where(y_pred < -0.5, -1, 0))
    return accuracy_score(np.sign(y_true), predicted)


def value_models(config: OutcomeExperimentConfig) -> dict:
    """Name -> unfitted regressor of Pons scores from flattened planes."""
    network = {"epochs": config.value_epochs, "batch_size": config.batch_size, "random_state": config.seed}
    return {
        "mean score (constant)": DummyRegressor(strategy="mean"),
        "feed-forward regressor 64-32-1, planes": make_pipeline(StandardScaler(), FeedForwardRegressor(**network)),
        "linear regression, planes": make_pipeline(StandardScaler(), LinearRegression()),
    }


# ---------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------


def _cross_validate_all(models: dict, X, y, config: OutcomeExperimentConfig, metrics=None) -> list[dict]:
    rows = []
    for name, model in models.items():
        started = time.perf_counter()
        result = cross_validate(model, X, y, cv=make_kfold(config.n_splits, True, config.seed), metrics=metrics)
        rows.append({"model": name, "result": result, "seconds": time.perf_counter() - started})
        print(f"  {name}: {', '.join(f'{k} {v:.4f}' for k, v in result.pooled.items())} "
              f"({rows[-1]['seconds']:.0f} s)", flush=True)
    return rows


def metrics_table(rows: list[dict], metric_names: list[str]) -> str:
    """Markdown: per model, each metric pooled and per fold (mean ± std, min-max)."""
    header = ["model"]
    for metric in metric_names:
        header += [f"pooled {metric}", f"{metric} per fold: mean ± std [min, max]"]
    lines = ["| " + " | ".join(header + ["seconds"]) + " |", "|" + "---|" * (len(header) + 1)]
    for row in rows:
        result, cells = row["result"], [row["model"]]
        for metric in metric_names:
            folds = result.fold_scores[metric]
            cells += [f"{result.pooled[metric]:.4f}",
                      f"{folds.mean():.4f} ± {folds.std():.4f} [{folds.min():.4f}, {folds.max():.4f}]"]
        lines.append("| " + " | ".join(cells + [f"{row['seconds']:.0f}"]) + " |")
    return "\n".join(lines)


def run_outcome(config: OutcomeExperimentConfig) -> dict:
    """Run both tasks, write ``<out>/outcome.md``; returns the tables, rows and timing."""
    torch.set_num_threads(1)
    started = time.perf_counter()
    planes, outcomes = read_uci_connect4(find_data(config.uci_path, "the UCI connect-4 file"))
    X = planes.reshape(len(planes), -1)
    majority = np.bincount(outcomes + 1).max() / len(outcomes)
    print(f"UCI connect-4: {len(X)} positions, majority class {majority:.1%}; {config.n_splits}-fold, "
          f"seed {config.seed}", flush=True)
    outcome_rows = _cross_validate_all(outcome_models(config), X, outcomes, config)
    report = {"outcome_rows": outcome_rows,
              "outcome_table": metrics_table(outcome_rows, ["accuracy", "macro_f1"])}
    sections = [f"## Outcome of UCI connect-4 positions ({len(X)} positions, majority class {majority:.1%})",
                report["outcome_table"]]
    if not config.skip_pons:
        pons_dir = find_data(config.pons_dir, "the Pons connect4 folder")
        pons = [read_pons(pons_dir / name) for name in PONS_FILES]
        pons_X = np.concatenate([p for p, _ in pons]).reshape(-1, 2 * CONNECT_FOUR.n_cells)
        scores = np.concatenate([s for _, s in pons]).astype(np.float64)
        print(f"Pons scores: {len(scores)} positions ({', '.join(PONS_FILES)})", flush=True)
        metrics = {**REGRESSOR_METRICS, "sign_accuracy": sign_accuracy}
        value_rows = _cross_validate_all(value_models(config), pons_X, scores, config, metrics)
        report["value_rows"] = value_rows
        report["value_table"] = metrics_table(value_rows, ["r2", "rmse", "sign_accuracy"])
        sections += [f"## Value of Pons positions ({len(scores)} positions, exact scores)", report["value_table"]]
    report["seconds"] = time.perf_counter() - started
    text = "\n\n".join([f"# Predicting the outcome of real positions ({config.n_splits}-fold, seed {config.seed})",
                        *sections, f"total time: {report['seconds']:.0f} s"]) + "\n"
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    report["path"] = out / "outcome.md"
    report["path"].write_text(text)
    report["text"] = text
    return report


def outcome_main(argv: list[str]) -> int:
    """``boardgym experiment outcome``."""
    import sys

    import tyro

    config = tyro.cli(OutcomeExperimentConfig, args=argv, prog="boardgym experiment outcome")
    try:
        report = run_outcome(config)
    except FileNotFoundError as err:
        print(f"boardgym experiment outcome: error: {err}", file=sys.stderr)
        return 2
    print("\n" + report["text"])
    print(f"written to {report['path']}")
    return 0
