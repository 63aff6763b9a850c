"""The result every chapter's ``run(config)`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ChapterResult:
    """Named metrics of a run (counts as int, the rest float) and the plots it wrote."""

    metrics: dict[str, float | int]
    plots: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One ``name  value`` line per metric, then one per plot."""
        width = max((len(name) for name in self.metrics), default=0)
        lines = [f"{name.ljust(width)}  {_format(value)}" for name, value in self.metrics.items()]
        return lines + [f"plot: {path}" for path in self.plots]


def _format(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"
