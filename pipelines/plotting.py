"""PNG plots of the chapters, drawn headless (matplotlib's Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    _pyplot().close(figure)
    return path


def save_image_grid(rows: list[np.ndarray], path: Path, row_titles: list[str] | None = None,
                    title: str = "") -> Path:
    """Grayscale images in a grid, one list entry per row: each entry is
    ``(n, height, width)`` with values in [0, 1] (shorter rows leave blanks)."""
    plt = _pyplot()
    n_cols = max(len(images) for images in rows)
    figure, axes = plt.subplots(len(rows), n_cols, figsize=(n_cols * 0.9, len(rows) * 1.0), squeeze=False)
    for r, images in enumerate(rows):
        for c in range(n_cols):
            axis = axes[r, c]
            axis.set_xticks([])
            axis.set_yticks([])
            if c < len(images):
                axis.imshow(images[c], cmap="gray", vmin=0.0, vmax=1.0)
            else:
                axis.axis("off")
        if row_titles:
            axes[r, 0].set_ylabel(row_titles[r], rotation=0, ha="right", va="center", fontsize=8)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def save_predicted_vs_true(truth: np.ndarray, predictions: dict[str, np.ndarray], path: Path,
                           title: str = "") -> Path:
    """Scatter of each model's predictions against the truth, with the diagonal."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5, 5))
    for name, predicted in predictions.items():
        axis.scatter(truth, predicted, s=12, alpha=0.7, label=name)
    low, high = float(np.min(truth)), float(np.max(truth))
    axis.plot([low, high], [low, high], color="black", linewidth=1, label="perfect")
    axis.set_xlabel("true")
    axis.set_ylabel("predicted")
    axis.legend()
    axis.set_title(title)
    return _save(figure, path)


def save_bars(values: dict[str, float], path: Path, ylabel: str, title: str = "",
              reference: float | None = None) -> Path:
    """One bar per named value, with an optional horizontal reference line."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(max(4, len(values) * 0.9), 3.5))
    axis.bar(list(values), list(values.values()), color="tab:blue")
    if reference is not None:
        axis.axhline(reference, color="black", linewidth=1, linestyle="--")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    return _save(figure, path)
