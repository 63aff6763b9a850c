"""The ``boardgym train`` and ``boardgym demo`` commands, and the run set-up
they share (fresh run directories, resuming, TensorBoard, checkpoints).

A new run never touches an earlier one: it gets its own directory
``<logdir>/<game>_<algo>_s<seed>_<n>`` holding the TensorBoard events,
``latest.pt`` and ``best.pt``. ``--resume PATH`` (a checkpoint or a run
directory) continues that run in place: step counter, pool, Elo table and
TensorBoard curves carry on from the checkpoint.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Optional

import torch

from boardgym.agents.checkpoint import (CheckpointError, learner_classes, learner_from_checkpoint, load_checkpoint,
                                       restore_trainer)
from boardgym.agents.dqn import DQNConfig
from boardgym.agents.reinforce import ReinforceConfig
from boardgym.agents.evaluation import evaluate
from boardgym.agents.seeding import seed_everything
from boardgym.agents.scripted import make_policy
from boardgym.agents.selfplay import OpponentPool, SelfPlayConfig, SelfPlayTrainer
from boardgym.agents.tensorboard import RunLogger

GameName = Literal["connect_four", "tictactoe", "gomoku"]
AlgoName = Literal["dqn", "reinforce"]


@dataclass
class TrainConfig:
    """Train a DQN or REINFORCE agent by self-play; logs and checkpoints go to a fresh run directory."""

    game: Optional[GameName] = None
    """Game to learn (default connect_four; with --resume, the checkpoint's)."""
    algo: Optional[AlgoName] = None
    """Learning algorithm (default dqn; with --resume, the checkpoint's)."""
    steps: int = 2_000_000
    """Total environment steps (learner moves) of the run, reached at the end of a batch of moves (so a little past it); a resumed run continues up to this."""
    seed: int = 0
    """Seed of everything random in the run."""
    logdir: str = "runs"
    """Parent directory of the run directories."""
    resume: Optional[str] = None
    """Checkpoint file (or run directory) to continue."""
    quiet: bool = False
    """No progress bar."""
    time_limit: Optional[float] = None
    """Stop training after this many seconds (then evaluate and save)."""
    threads: int = 1
    """CPU threads for torch (1 stays fast when other programs share the CPU)."""
    encoder: Optional[str] = None
    """Network front for either algorithm: planes, autoencoder or bovw (sets --dqn.encoder / --reinforce.encoder)."""
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    """Opponent pool, evaluation and logging."""
    dqn: DQNConfig = field(default_factory=DQNConfig)
    """DQN hyperparameters (used when --algo dqn)."""
    reinforce: ReinforceConfig = field(default_factory=ReinforceConfig)
    """REINFORCE hyperparameters (used when --algo reinforce)."""

    def __post_init__(self) -> None:
        if self.steps < 0:
            raise ValueError(f"TrainConfig.steps must be >= 0, got {self.steps}")
        if self.seed < 0:
            raise ValueError(f"TrainConfig.seed must be >= 0, got {self.seed}")
        if self.threads < 1:
            raise ValueError(f"TrainConfig.threads must be at least 1, got {self.threads}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"TrainConfig.time_limit must be positive, got {self.time_limit}")


def new_run_dir(logdir: str | os.PathLike, game: str, algo: str, seed: int) -> Path:
    """Create and return the first free ``<logdir>/<game>_<algo>_s<seed>_<n>``."""
    Path(logdir).mkdir(parents=True, exist_ok=True)
    counter = 1
    while True:
        candidate = Path(logdir) / f"{game}_{algo}_s{seed}_{counter}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            counter += 1


def checkpoint_path(resume: str | os.PathLike) -> Path:
    """``resume`` itself, or ``latest.pt`` inside it when it is a run directory."""
    path = Path(resume)
    return path / "latest.pt" if path.is_dir() else path


def build_trainer(config: TrainConfig) -> SelfPlayTrainer:
    """A trainer for a new run (fresh directory) or a resumed one (``config.resume``).

    Everything that can be wrong with the config (opponent names, the ladder,
    the checkpoint) is checked before a run directory is made or touched."""
    if config.resume is not None:
        return _resume_trainer(config)
    game, algo = config.game or "connect_four", config.algo or "dqn"
    config = dataclasses.replace(config, game=game, algo=algo)
    if config.encoder is not None:
        config = dataclasses.replace(config, **{algo: dataclasses.replace(getattr(config, algo), encoder=config.encoder)})
    # The ladder this game can play (no alpha-beta on Gomoku), checked below and saved with the run.
    config = dataclasses.replace(config, selfplay=config.selfplay.for_game(game))
    seed_everything(config.seed)
    learner_class, _ = learner_classes(algo)
    learner = learner_class(game, getattr(config, algo), seed=config.seed)
    pool = _checked_pool(learner, config)
    run_dir = new_run_dir(config.logdir, game, algo, config.seed)
    logger = RunLogger(run_dir)
    logger.hyperparameters(asdict(config))
    return _trainer(learner, pool, config, logger, run_dir)


def _checked_pool(learner, config: TrainConfig) -> OpponentPool:
    """The opponent pool; raises ValueError naming any pool or ladder opponent that cannot be built."""
    sp = config.selfplay
    try:
        pool = OpponentPool(learner, sp.opponents, max_snapshots=sp.max_snapshots, seed=config.seed)
    except ValueError as err:
        raise ValueError(f"--selfplay.opponents: {err}") from None
    for name in sp.eval_opponents:
        try:
            make_policy(name, learner.game)
        except ValueError as err:
            raise ValueError(f"--selfplay.eval-opponents: {err}") from None
    return pool


def _trainer(learner, pool: OpponentPool, config: TrainConfig, logger, run_dir: Path) -> SelfPlayTrainer:
    return SelfPlayTrainer(learner, pool, config.selfplay, seed=config.seed, logger=logger, run_dir=run_dir,
                           run_config=asdict(config), progress=not config.quiet)


def _resume_trainer(config: TrainConfig) -> SelfPlayTrainer:
    path = checkpoint_path(config.resume)
    checkpoint = load_checkpoint(path)
    for name in ("game", "algo"):
        asked = getattr(config, name)
        if asked is not None and asked != checkpoint[name]:
            raise ValueError(f"--{name} {asked} does not match the checkpoint's {name} {checkpoint[name]!r} ({path})")
    saved = checkpoint["config"]
    try:
        selfplay = SelfPlayConfig(**saved["selfplay"])
        seed = int(saved["seed"])
    except (KeyError, TypeError) as err:
        raise CheckpointError(f"{path} has no self-play run config to resume from ({err})") from None
    # The run keeps its own hyperparameters; the command line sets only how long and how verbosely.
    config = dataclasses.replace(config, game=checkpoint["game"], algo=checkpoint["algo"], seed=seed,
                                 selfplay=selfplay, logdir=str(path.parent.parent),
                                 **{checkpoint["algo"]: learner_config(checkpoint)})
    learner = learner_from_checkpoint(checkpoint, seed=seed)
    pool = _checked_pool(learner, config)
    trainer = _trainer(learner, pool, config, RunLogger(path.parent, purge_step=int(checkpoint["step"]) + 1), path.parent)
    restore_trainer(trainer, checkpoint)
    return trainer


def learner_config(checkpoint: dict):
    """The learner config object stored in ``checkpoint``."""
    return learner_classes(checkpoint["algo"])[1](**checkpoint["learner_config"])


def run_training(config: TrainConfig) -> SelfPlayTrainer:
    """Build (or resume) a run, train up to ``config.steps``, save, and report where things went."""
    torch.set_num_threads(config.threads)
    trainer = build_trainer(config)
    run_dir = trainer.run_dir
    print(f"run directory: {run_dir}  (TensorBoard logs, latest.pt, best.pt)")
    print(f"watch it with: tensorboard --logdir {run_dir.parent}")
    remaining = max(0, config.steps - trainer.step)
    if trainer.step:
        print(f"resuming at step {trainer.step}; {remaining} steps to go"
              + ("" if remaining else f" (--steps {config.steps} is the run's total: give a larger one)"))
    started = time.perf_counter()
    try:
        trainer.run(remaining, time_limit=config.time_limit)
    except KeyboardInterrupt:
        trainer.save_checkpoint()
        print(f"\ninterrupted at step {trainer.step}; continue with --resume {run_dir / 'latest.pt'}")
        raise
    finally:
        if trainer.logger is not None:
            trainer.logger.close()
    print(f"trained to step {trainer.step} in {time.perf_counter() - started:.0f} s")
    if trainer.last_report is not None:
        print(trainer.last_report.table())
    print(f"checkpoints: {run_dir / 'latest.pt'} and {run_dir / 'best.pt'} (best by Elo)")
    return trainer


def train(argv: list[str]) -> int:
    """``boardgym train``: a bad option value, opponent name or checkpoint is a one-line error, exit code 2."""
    from boardgym.agents.commands import run_cli

    def command(config: TrainConfig) -> int:
        run_training(config)
        return 0

    return run_cli(TrainConfig, command, argv, "boardgym train")


@dataclass
class DemoConfig:
    """Train DQN (or REINFORCE) on Connect Four within a time budget, then evaluate it against random and greedy."""

    algo: AlgoName = "dqn"
    """Learning algorithm."""
    train_seconds: float = 600.0
    """Wall-clock budget for training (evaluations during training included)."""
    eval_games: int = 800
    """Final evaluation games per opponent, half in each seat."""
    seed: int = 0
    """Seed of everything random."""
    logdir: str = "runs"
    """Parent directory of the run directory."""
    threads: int = 1
    """CPU threads for torch (1 stays fast when other programs share the CPU)."""
    quiet: bool = False
    """No progress bar."""

    def __post_init__(self) -> None:
        if self.train_seconds <= 0:
            raise ValueError(f"DemoConfig.train_seconds must be positive, got {self.train_seconds}")
        if self.eval_games < 2 or self.eval_games % 2:
            raise ValueError(f"DemoConfig.eval_games must be an even number >= 2, got {self.eval_games}")


def run_demo(config: DemoConfig):
    """Train, evaluate the final agent over ``eval_games`` per opponent, print the table; returns the report."""
    train_config = TrainConfig(game="connect_four", algo=config.algo, steps=10**9, seed=config.seed, logdir=config.logdir,
                               quiet=config.quiet, time_limit=config.train_seconds, threads=config.threads)
    print(f"boardgym demo: {config.algo.upper()} learns Connect Four by self-play "
          f"for {config.train_seconds / 60:.0f} minutes")
    trainer = run_training(train_config)
    started = time.perf_counter()
    report = evaluate(trainer.learner.frozen_policy(seed=config.seed), ["random", "greedy"], "connect_four",
                      n_games=config.eval_games, seed=config.seed + 1)
    print(f"\nfinal evaluation of the trained agent, its last weights as in latest.pt "
          f"({time.perf_counter() - started:.1f} s):")
    print(report.table())
    for opponent in ("random", "greedy"):
        record = report[opponent]
        print(f"wins vs {opponent}: {record.record().rate('win'):.1%} "
              f"(moving first {record.record('first').rate('win'):.1%}, "
              f"second {record.record('second').rate('win'):.1%})")
    print(f"play against it: boardgym play {trainer.run_dir / 'latest.pt'}  "
          f"(or {trainer.run_dir / 'best.pt'}, the best by Elo during training)")
    return report


def demo(argv: list[str]) -> int:
    """``boardgym demo``."""
    from boardgym.agents.commands import run_cli

    def command(config: DemoConfig) -> int:
        run_demo(config)
        return 0

    return run_cli(DemoConfig, command, argv, "boardgym demo")
