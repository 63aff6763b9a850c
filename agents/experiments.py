"""Experiment 1 (``boardgym experiment encoders``): the same DQN learner with each
encoder, trained by self-play for the same wall-clock budget and seeds, measured
on the ladder.

Each run trains for ``budget_minutes`` of training time and is evaluated at
``evaluations`` equal shares of it (the last at the end); evaluation time is
not charged to the budget, so a slow encoder loses steps, not evaluations.
Every evaluation is the trainer's own (TensorBoard ``eval/...`` scalars,
checkpoints with the encoder inside). Fitting an encoder happens before the
clock starts and is reported separately.

Outputs, in a fresh ``<out>/<game>_encoders_s0_<n>`` directory: ``tensorboard/<encoder>_s<seed>/``
(events and checkpoints, side by side: ``tensorboard --logdir <dir>/tensorboard``),
``win_rate.png`` (win rate vs environment steps, one line per encoder, a band
from the worst to the best seed), ``results.md`` and ``results.json``.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Literal

import numpy as np

from boardgym.agents.dqn import DQNConfig
from boardgym.agents.encoders import ENCODERS
from boardgym.agents.selfplay import SelfPlayConfig
from boardgym.agents.training import new_run_dir

GameName = Literal["connect_four", "tictactoe"]


@dataclass
class EncodersExperimentConfig:
    """Train DQN with each encoder for the same wall-clock budget and seeds; compare them on the ladder."""

    game: GameName = "connect_four"
    """Game to learn."""
    budget_minutes: float = 5.0
    """Training time per run in minutes (encoder fitting and evaluations not counted)."""
    seeds: int = 3
    """Runs per encoder, with seeds 0, 1, ..."""
    encoders: tuple[str, ...] = ("planes", "autoencoder", "bovw")
    """Encoders compared (registered names), each with its defaults; all but planes are fitted with the run's seed."""
    workers: int = 1
    """Runs trained at once, each in its own process on one torch thread."""
    evaluations: int = 10
    """Ladder evaluations per run, at equal shares of the training budget (the last at its end)."""
    eval_games: int = 100
    """Evaluation games per opponent, half in each seat."""
    eval_opponents: tuple[str, ...] = ("random", "greedy", "alphabeta:2")
    """The ladder (must include random, the Elo anchor)."""
    opponents: str = SelfPlayConfig.opponents
    """Training opponent pool weights (see boardgym train)."""
    num_envs: int = 256
    """Games played at once in training."""
    out: str = "runs/experiments/encoders"
    """Parent directory; each experiment gets a fresh <out>/<game>_encoders_s0_<n> inside."""
    dqn: DQNConfig = field(default_factory=lambda: DQNConfig(exploration_steps=100_000))
    """DQN hyperparameters shared by every run (the encoder is set per run)."""

    def __post_init__(self) -> None:
        if not self.budget_minutes > 0:
            raise ValueError(f"budget_minutes must be positive, got {self.budget_minutes}")
        for name in ("seeds", "workers", "evaluations", "num_envs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.eval_games < 2 or self.eval_games % 2:
            raise ValueError(f"eval_games must be an even number >= 2, got {self.eval_games}")
        self.encoders, self.eval_opponents = tuple(self.encoders), tuple(self.eval_opponents)
        unknown = [name for name in self.encoders if name not in ENCODERS]
        if not self.encoders or unknown:
            raise ValueError(f"encoders must name registered encoders {sorted(ENCODERS)}, got {list(self.encoders)}")
        if "random" not in self.eval_opponents:
            raise ValueError("eval_opponents must include 'random' (the Elo anchor)")


class TrainingBudget:
    """Trainer callback: evaluates at ``evaluations`` equal shares of ``seconds``
    of training time and stops after the last; time spent evaluating is not
    counted. ``curve`` collects ``(step, eval scalars)`` per evaluation."""

    def __init__(self, trainer, seconds: float, evaluations: int):
        self.trainer, self.seconds, self.evaluations = trainer, float(seconds), int(evaluations)
        self.curve: list[tuple[int, dict[str, float]]] = []
        self.started = time.perf_counter()
        self.paused = 0.0

    @property
    def trained_seconds(self) -> float:
        return time.perf_counter() - self.started - self.paused

    def __call__(self, step: int, metrics: dict) -> bool:
        due = self.seconds * (len(self.curve) + 1) / self.evaluations
        if self.trained_seconds >= due:
            paused_at = time.perf_counter()
            self.curve.append((step, self.trainer.evaluate()))
            self.paused += time.perf_counter() - paused_at
        return len(self.curve) < self.evaluations


def train_one(config: EncodersExperimentConfig, encoder_name: str, seed: int, run_dir: str) -> dict:
    """One run: fit the encoder, train with a :class:`TrainingBudget`, return its figures."""
    import dataclasses

    import torch

    from boardgym.agents.dqn import DQNLearner
    from boardgym.agents.encoders import build_encoder
    from boardgym.envs.rules import get_game
    from boardgym.agents.seeding import seed_everything
    from boardgym.agents.selfplay import OpponentPool, SelfPlayConfig, SelfPlayTrainer
    from boardgym.agents.tensorboard import RunLogger

    torch.set_num_threads(1)
    seed_everything(seed)
    fit_started = time.perf_counter()
    encoder = build_encoder(get_game(config.game), encoder_name, config.dqn.channels, config.dqn.conv_layers, seed)
    fit_seconds = time.perf_counter() - fit_started
    learner_config = dataclasses.replace(config.dqn, encoder=encoder_name)
    learner = DQNLearner(config.game, learner_config, encoder=encoder, seed=seed)
    selfplay = SelfPlayConfig(num_envs=config.num_envs, opponents=config.opponents, eval_interval=0,
                              eval_games=config.eval_games, eval_opponents=config.eval_opponents,
                              eval_at_end=False)
    pool = OpponentPool(learner, selfplay.opponents, max_snapshots=selfplay.max_snapshots, seed=seed)
    logger = RunLogger(run_dir)
    run_config = {"experiment": asdict(config), "encoder": encoder_name, "encoder_config": encoder.config(),
                  "seed": seed, "learner": asdict(learner_config), "selfplay": asdict(selfplay)}
    logger.hyperparameters(run_config)
    trainer = SelfPlayTrainer(learner, pool, selfplay, seed=seed, logger=logger, run_dir=run_dir,
                              run_config=run_config)
    budget = TrainingBudget(trainer, config.budget_minutes * 60.0, config.evaluations)
    trainer.run(10**15, callbacks=[budget])
    logger.close()
    final = trainer.last_report
    return {
        "encoder": encoder_name, "seed": seed, "run_dir": run_dir, "steps": trainer.step,
        "train_seconds": budget.trained_seconds, "fit_seconds": fit_seconds,
        "steps_per_second": trainer.step / budget.trained_seconds,
        "curve": [{"step": step, "win": _win_rates(scalars, config.eval_opponents)} for step, scalars in budget.curve],
        "final": {name: {result: final[name].record().rate(result) for result in ("win", "draw", "loss")}
                  for name in config.eval_opponents},
    }


def _win_rates(scalars: dict[str, float], opponents) -> dict[str, float]:
    from boardgym.agents.evaluation import tag_name

    return {name: scalars[f"eval/{tag_name(name)}/win"] for name in opponents}


def run_experiment(config: EncodersExperimentConfig) -> dict:
    """Train every (encoder, seed) run, then write the plot and the tables; returns
    ``{"dir", "runs", "table", "seconds"}``."""
    started = time.perf_counter()
    experiment_dir = new_run_dir(config.out, config.game, "encoders", 0)
    jobs = [(config, name, seed, str(experiment_dir / "tensorboard" / f"{name}_s{seed}"))
            for seed in range(config.seeds) for name in config.encoders]
    if config.workers == 1:
        runs = [train_one(*job) for job in jobs]
    else:
        with ProcessPoolExecutor(config.workers, mp_context=get_context("spawn")) as pool:
            runs = list(pool.map(train_one, *zip(*jobs)))
    table = results_table(runs, config)
    plot_win_rates(runs, config, experiment_dir / "win_rate.png")
    seconds = time.perf_counter() - started
    (experiment_dir / "results.md").write_text(
        f"# Encoders in self-play: {config.game}, {config.budget_minutes:g} min per run, "
        f"{config.seeds} seeds\n\n{table}\n\nwall-clock time of the experiment: {seconds:.0f} s\n")
    (experiment_dir / "results.json").write_text(json.dumps({"config": asdict(config), "runs": runs}, indent=1))
    return {"dir": experiment_dir, "runs": runs, "table": table, "seconds": seconds}


def _mean_std(values) -> str:
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}"


def results_table(runs: list[dict], config: EncodersExperimentConfig) -> str:
    """Markdown: per encoder, final win rates (mean ± std over seeds), steps, steps/s, fitting time."""
    header = ["encoder", "seeds", "env steps", "steps/s", "fit s", *(f"win vs {o}" for o in config.eval_opponents)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in config.encoders:
        mine = [run for run in runs if run["encoder"] == name]
        cells = [name, str(len(mine)), f"{np.mean([r['steps'] for r in mine]):,.0f}",
                 f"{np.mean([r['steps_per_second'] for r in mine]):,.0f}",
                 f"{np.mean([r['fit_seconds'] for r in mine]):.1f}",
                 *(_mean_std([r["final"][o]["win"] for r in mine]) for o in config.eval_opponents)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_win_rates(runs: list[dict], config: EncodersExperimentConfig, path: Path) -> Path:
    """One panel per ladder opponent: the k-th evaluation's mean win rate over
    seeds against its mean step, a band from the worst to the best seed."""
    from boardgym.pipelines.plotting import _pyplot, _save

    plt = _pyplot()
    figure, axes = plt.subplots(1, len(config.eval_opponents), figsize=(5 * len(config.eval_opponents), 4),
                                squeeze=False)
    for axis, opponent in zip(axes[0], config.eval_opponents):
        for name in config.encoders:
            curves = [run["curve"] for run in runs if run["encoder"] == name]
            points = min(len(curve) for curve in curves)
            steps = np.array([[curve[k]["step"] for k in range(points)] for curve in curves])
            wins = np.array([[curve[k]["win"][opponent] for k in range(points)] for curve in curves])
            line, = axis.plot(steps.mean(0), wins.mean(0), marker="o", markersize=3, label=name)
            axis.fill_between(steps.mean(0), wins.min(0), wins.max(0), color=line.get_color(), alpha=0.2)
        axis.set(title=f"vs {opponent}", xlabel="environment steps (log scale)", ylabel="win rate",
                 xscale="log", ylim=(-0.02, 1.02))
        axis.grid(alpha=0.3)
    axes[0][0].legend()
    figure.suptitle(f"DQN on {config.game}: {config.budget_minutes:g} min of training per run, "
                    f"{config.seeds} seeds (band: min-max)")
    return _save(figure, path)


def encoders_main(argv: list[str]) -> int:
    """``boardgym experiment encoders``."""
    import tyro

    config = tyro.cli(EncodersExperimentConfig, args=argv, prog="boardgym experiment encoders")
    result = run_experiment(config)
    print(result["table"])
    print(f"\n{len(result['runs'])} runs in {result['seconds']:.0f} s; plot, tables and TensorBoard runs in "
          f"{result['dir']}  (tensorboard --logdir {result['dir'] / 'tensorboard'})")
    return 0
