"""TensorBoard logging for training runs, keyed by environment steps.

Keys live in fixed namespaces: ``charts/`` (episode length, win/draw/loss
rates in training, epsilon, steps per second), ``losses/``,
``eval/<opponent>/{win,draw,loss}``, ``selfplay/elo/<name>``; the
hyperparameters are written once, as a text table, when a run starts. A
resumed run opens the same directory with ``purge_step`` set to the
checkpoint's step, so its curves continue where the checkpoint left them and
anything logged after that checkpoint by the interrupted process is hidden.
"""

from __future__ import annotations

import os

from boardgym.agents.evaluation import tag_name


def hyperparameter_table(values: dict, prefix: str = "") -> str:
    """A markdown table of (possibly nested) hyperparameters, one row per leaf."""
    rows = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += hyperparameter_table(value, f"{name}.").splitlines()[2:]
        else:
            rows.append(f"|{name}|{value}|")
    return "\n".join(["|param|value|", "|-|-|", *rows])


class RunLogger:
    """A thin wrapper over ``torch.utils.tensorboard.SummaryWriter``."""

    def __init__(self, log_dir: str | os.PathLike, purge_step: int | None = None):
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = os.fspath(log_dir)
        self.writer = SummaryWriter(self.log_dir, purge_step=purge_step)

    def scalars(self, values: dict[str, float], step: int) -> None:
        for key, value in values.items():
            self.writer.add_scalar(tag_name(key), float(value), int(step))

    def hyperparameters(self, values: dict, step: int = 0) -> None:
        self.writer.add_text("hyperparameters", hyperparameter_table(values), int(step))

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
