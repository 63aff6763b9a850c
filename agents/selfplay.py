"""Self-play training: many batched games against a pool of opponents, ladder
evaluations, an Elo table, checkpoints and TensorBoard logs.

``num_envs`` games run at once on the batched rules engine. When a game
starts it draws an opponent from the :class:`OpponentPool`: the learner's
current self (then the learner plays both seats and learns from both), a
frozen snapshot of a past self, or a scripted player; against anything but
itself the learner takes a random seat. An *environment step* is one move
chosen by the learner, the unit of every step count here (schedules,
intervals, TensorBoard).

A user script composes the same pieces the ``boardgym train`` command uses::

    learner = DQNLearner("connect_four", DQNConfig(), seed=0)
    pool = OpponentPool(learner, "self=0.5,greedy=0.5", seed=0)
    trainer = SelfPlayTrainer(learner, pool, SelfPlayConfig(), seed=0)
    trainer.run(100_000, callbacks=[stop_when_good])

A callback is called as ``callback(step, metrics)`` after every batch of moves
(``metrics`` holds whatever was logged since the previous call, evaluation
results included) and returns True to go on, False to stop.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np

from boardgym.agents.elo import EloTable
from boardgym.agents.evaluation import LADDER, EvalReport, evaluate, ladder, random_openings
from boardgym.agents.learner import Episodes
from boardgym.agents.scripted import make_policy
from boardgym.envs import rules

SELF, SNAPSHOTS = "self", "snapshots"

Callback = Callable[[int, dict], bool]


@dataclass
class SelfPlayConfig:
    """How self-play games are organised, evaluated and logged."""

    num_envs: int = 256
    """Games played at once."""
    opponents: str = "self=0.3,snapshots=0.2,greedy=0.3,random=0.2"
    """Opponent pool weights: `self`, `snapshots` (shared evenly by the frozen past selves) and scripted names."""
    snapshot_interval: int = 50_000
    """Environment steps between frozen snapshots of the learner added to the pool."""
    max_snapshots: int = 8
    """Snapshots kept in the pool; the oldest is dropped beyond this."""
    eval_interval: int = 100_000
    """Environment steps between ladder evaluations (0 disables them)."""
    eval_games: int = 200
    """Evaluation games per opponent, half in each seat."""
    eval_opponents: tuple[str, ...] = LADDER
    """The ladder evaluated against."""
    eval_opening_plies: int = 2
    """Evaluation game pairs start from random openings of this many plies, one per pair, played from both seats: the greedy learner against a deterministic rung (alphabeta) would otherwise replay one game."""
    eval_at_end: bool = True
    """Evaluate once more when a run ends between two evaluations."""
    log_interval: int = 10_000
    """Environment steps between training charts."""

    def __post_init__(self) -> None:
        for name in ("num_envs", "snapshot_interval", "max_snapshots", "log_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"SelfPlayConfig.{name} must be at least 1, got {getattr(self, name)!r}")
        if self.eval_opening_plies < 0:
            raise ValueError(f"SelfPlayConfig.eval_opening_plies must be >= 0, got {self.eval_opening_plies}")
        if self.eval_interval < 0:
            raise ValueError(f"SelfPlayConfig.eval_interval must be >= 0, got {self.eval_interval}")
        if self.eval_games < 2 or self.eval_games % 2:
            raise ValueError(f"SelfPlayConfig.eval_games must be an even number >= 2, got {self.eval_games}")
        self.eval_opponents = tuple(self.eval_opponents)
        if "random" not in self.eval_opponents:
            raise ValueError("SelfPlayConfig.eval_opponents must include 'random' (the Elo anchor)")
        parse_weights(self.opponents)

    def for_game(self, game) -> "SelfPlayConfig":
        """This config, with the default ladder cut to the rungs that can play
        ``game`` (alpha-beta searches 64-bit bitboards, so not 15x15 Gomoku)."""
        if self.eval_opponents == LADDER and ladder(game) != LADDER:
            return dataclasses.replace(self, eval_opponents=ladder(game))
        return self


def parse_weights(text: str) -> dict[str, float]:
    """``"self=0.3,greedy=0.7"`` -> ``{"self": 0.3, "greedy": 0.7}``, checked."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not sep or not name or weight < 0:
            raise ValueError(f"SelfPlayConfig.opponents: bad entry {item!r}; write name=weight, e.g. 'greedy=0.4'")
        weights[name.strip()] = weight
    if sum(weights.values()) <= 0:
        raise ValueError(f"SelfPlayConfig.opponents: weights must have a positive sum, got {text!r}")
    return weights


class OpponentPool:
    """The opponents games are drawn from: member 0 is the learner itself, then
    the scripted players, then frozen snapshots (oldest first)."""

    def __init__(self, learner, opponents: str = "self=0.5,greedy=0.5", *, max_snapshots: int = 8, seed: int = 0):
        weights = parse_weights(opponents)
        self.learner = learner
        self.max_snapshots = int(max_snapshots)
        self.self_weight = weights.pop(SELF, 0.0)
        self.snapshot_weight = weights.pop(SNAPSHOTS, 0.0)
        try:
            self.scripted = {name: make_policy(name, learner.game, seed=seed + 1 + i)
                             for i, name in enumerate(weights)}
        except ValueError as err:
            raise ValueError(f"{err} (besides these, the pool takes '{SELF}' and '{SNAPSHOTS}')") from None
        self.scripted_weights = weights
        self.snapshots: list[tuple[str, object, dict]] = []
        self._seed = seed

    @property
    def names(self) -> list[str]:
        return [SELF, *self.scripted, *(name for name, _, _ in self.snapshots)]

    @property
    def policies(self) -> list:
        return [self.learner.policy, *self.scripted.values(), *(policy for _, policy, _ in self.snapshots)]

    def probabilities(self) -> np.ndarray:
        share = self.snapshot_weight / len(self.snapshots) if self.snapshots else 0.0
        weights = np.array([self.self_weight, *self.scripted_weights.values(), *[share] * len(self.snapshots)])
        if weights.sum() <= 0:
            raise ValueError("the opponent pool has no opponent with positive weight (only snapshots, none taken yet)")
        return weights / weights.sum()

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Member indices for ``count`` new games."""
        return rng.choice(len(self.names), size=count, p=self.probabilities())

    def add_snapshot(self, name: str, network_state: dict | None = None) -> None:
        """Freeze the learner's current weights (or ``network_state``) as an opponent."""
        state = {k: v.clone() for k, v in (network_state or self.learner.network_state()).items()}
        seed = self._seed + 1000 + len(self.snapshots)
        self.snapshots.append((name, self.learner.frozen_policy(state, seed=seed), state))
        del self.snapshots[: max(0, len(self.snapshots) - self.max_snapshots)]

    def state_dict(self) -> dict:
        return {"snapshots": [[name, state] for name, _, state in self.snapshots]}

    def load_state_dict(self, state: dict) -> None:
        self.snapshots = []
        for name, network_state in state["snapshots"]:
            self.add_snapshot(name, network_state)


class _Trajectories:
    """The decisions the learner made so far in each (board, seat) of the games in flight."""

    def __init__(self, game: rules.Game, num_envs: int):
        most = (game.n_cells + 1) // 2
        self.planes = np.zeros((num_envs, 2, most, 2, game.rows, game.cols), dtype=np.int8)
        self.masks = np.zeros((num_envs, 2, most, game.n_actions), dtype=np.int8)
        self.actions = np.zeros((num_envs, 2, most), dtype=np.int64)
        self.count = np.zeros((num_envs, 2), dtype=np.intp)

    def record(self, boards, seats, planes, masks, actions) -> None:
        moves = self.count[boards, seats]
        self.planes[boards, seats, moves] = planes
        self.masks[boards, seats, moves] = masks
        self.actions[boards, seats, moves] = actions
        self.count[boards, seats] += 1

    def finish(self, boards, seats, final_rewards) -> Episodes:
        """The finished episodes of (board, seat) pairs, and forget them."""
        lengths = self.count[boards, seats]
        episode = np.repeat(np.arange(len(boards)), lengths)
        move = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        b, s = boards[episode], seats[episode]
        self.count[boards, seats] = 0
        return Episodes(planes=self.planes[b, s, move], masks=self.masks[b, s, move],
                        actions=self.actions[b, s, move], episode=episode, move=move,
                        length=lengths[episode], final_reward=final_rewards[episode].astype(np.float32))


class SelfPlayTrainer:
    """Plays, learns, evaluates and checkpoints. ``run_dir`` (optional) receives
    ``latest.pt`` and ``best.pt``; ``logger`` (optional) a
    :class:`~boardgym.agents.tensorboard.RunLogger`; ``run_config`` is the plain
    dict stored as the checkpoint's config."""

    def __init__(self, learner, pool: OpponentPool, config: SelfPlayConfig | None = None, *, seed: int = 0,
                 logger=None, run_dir=None, run_config: dict | None = None, progress: bool = False):
        self.learner, self.pool = learner, pool
        self.config = (config or SelfPlayConfig()).for_game(learner.game)
        self.game = learner.game
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)
        self.logger, self.run_dir, self.progress = logger, run_dir, progress
        self.run_config = run_config or {"learner": asdict(learner.config), "selfplay": asdict(self.config)}
        self.elo = EloTable(anchor="random")
        self.step = 0
        self.best_elo = float("-inf")
        self.last_eval_step = 0
        self.last_eval_summary = ""
        self.last_report: EvalReport | None = None
        self._previous_eval: tuple[str, object] | None = None
        self._state: rules.State | None = None
        self._reset_window()

    # -- the loop -----------------------------------------------------------------
    def run(self, steps: int, callbacks: Sequence[Callback] = (), time_limit: float | None = None) -> int:
        """Play ``steps`` more environment steps (fewer if a callback returns False
        or ``time_limit`` seconds pass); returns the step reached."""
        from tqdm.auto import tqdm

        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        target, started = self.step + steps, time.perf_counter()
        if self._state is None:
            self._start_games()
        # A time-limited run has no meaningful step total: show the count and rate, no bogus ETA.
        # Into a log file (not a terminal) the bar writes a line every 30 s, not ten a second.
        interactive = sys.stderr.isatty()
        bar = tqdm(total=None if time_limit is not None else target, initial=self.step, unit="step", disable=not self.progress,
                   dynamic_ncols=True, smoothing=0.05, mininterval=0.1 if interactive else 30.0)
        try:
            while self.step < target:
                if time_limit is not None and time.perf_counter() - started >= time_limit:
                    break
                new_steps = self._play_ply()
                metrics = self._learn_and_log(new_steps)
                bar.update(min(new_steps, target - bar.n))  # the last batch of moves may overshoot
                if self.last_eval_summary:
                    bar.set_postfix_str(self.last_eval_summary, refresh=False)
                if not all([callback(self.step, metrics) for callback in callbacks]):
                    break
        finally:
            bar.close()
        if self.config.eval_at_end and self.config.eval_interval and self.step > self.last_eval_step:
            self.evaluate()
        elif self.run_dir is not None:
            self.save_checkpoint()
        if self.logger is not None:
            self.logger.flush()
        return self.step

    def _start_games(self) -> None:
        n = self.config.num_envs
        self._state = rules.initial(self.game, n)
        self._trajectories = _Trajectories(self.game, n)
        self._opponent = np.zeros(n, dtype=np.intp)
        self._learner_seat = np.zeros(n, dtype=np.intp)
        self._new_games(np.arange(n))

    def _new_games(self, boards: np.ndarray) -> None:
        rules.reset_boards(self.game, self._state, boards)
        self._opponent[boards] = self.pool.sample(len(boards), self.rng)
        self._learner_seat[boards] = self.rng.integers(0, 2, size=len(boards))

    def _play_ply(self) -> int:
        """One move on every board; returns the number of learner moves."""
        state, game = self._state, self.game
        mover = state.to_move.astype(np.intp)
        controlled = (self._opponent == 0) | (self._learner_seat == mover)
        planes, masks = rules.observe(game, state), rules.legal_mask(game, state)
        actions = np.zeros(state.batch_size, dtype=np.intp)
        mine = np.flatnonzero(controlled)
        if mine.size:
            actions[mine] = self.learner.policy.act(planes[mine], masks[mine], greedy=False)
            self._trajectories.record(mine, mover[mine], planes[mine], masks[mine], actions[mine])
        policies = self.pool.policies
        for member in np.unique(self._opponent[~controlled]):
            boards = np.flatnonzero(~controlled & (self._opponent == member))
            actions[boards] = policies[member].act(planes[boards], masks[boards], greedy=False)
        rules.step_unchecked(game, state, actions)
        self.step += int(mine.size)
        finished = np.flatnonzero(state.terminated)
        if finished.size:
            self._finish_games(finished)
        return int(mine.size)

    def _finish_games(self, boards: np.ndarray) -> None:
        final = rules.returns(self._state)
        against_self = self._opponent[boards] == 0
        seat = self._learner_seat[boards]
        pair_boards = np.concatenate([boards[against_self], boards[against_self], boards[~against_self]])
        pair_seats = np.concatenate([np.zeros(against_self.sum(), np.intp), np.ones(against_self.sum(), np.intp),
                                     seat[~against_self]])
        episodes = self._trajectories.finish(pair_boards, pair_seats, final[pair_boards, pair_seats])
        self.learner.add_episodes(episodes)
        outcome = final[boards[~against_self], seat[~against_self]]
        self._window["games"] += len(outcome)
        self._window["wins"] += int((outcome > 0).sum())
        self._window["draws"] += int((outcome == 0).sum())
        self._window["moves"] += int(self._state.num_moves[boards].sum())
        self._window["episodes"] += len(boards)
        self._new_games(boards)

    # -- learning, logging, snapshots, evaluation ---------------------------------
    def _learn_and_log(self, new_steps: int) -> dict[str, float]:
        metrics = self.learner.on_step(self.step)
        for key, value in self.learner.update(new_steps).items():
            self._window["loss_sums"][key] = self._window["loss_sums"].get(key, 0.0) + value
            self._window["loss_counts"][key] = self._window["loss_counts"].get(key, 0) + 1
        logged: dict[str, float] = {}
        if self.step - self._window["start_step"] >= self.config.log_interval:
            logged.update(metrics)
            logged.update(self._charts())
            self._log(logged)
        if self.step // self.config.snapshot_interval > (self.step - new_steps) // self.config.snapshot_interval:
            self.pool.add_snapshot(f"self@{self.step}")
        interval = self.config.eval_interval
        if interval and self.step // interval > (self.step - new_steps) // interval:
            logged.update(self.evaluate())
        return logged

    def _reset_window(self) -> None:
        self._window = {"start_step": self.step, "start_time": time.perf_counter(), "games": 0, "wins": 0,
                        "draws": 0, "moves": 0, "episodes": 0, "loss_sums": {}, "loss_counts": {}}

    def _charts(self) -> dict[str, float]:
        window = self._window
        elapsed = max(time.perf_counter() - window["start_time"], 1e-9)
        charts = {"charts/steps_per_second": (self.step - window["start_step"]) / elapsed}
        if window["episodes"]:
            charts["charts/episode_length"] = window["moves"] / window["episodes"]
        if window["games"]:
            losses = window["games"] - window["wins"] - window["draws"]
            charts.update({"charts/win_rate": window["wins"] / window["games"],
                           "charts/draw_rate": window["draws"] / window["games"],
                           "charts/loss_rate": losses / window["games"]})
        for key, total in window["loss_sums"].items():
            charts[key] = total / window["loss_counts"][key]
        self._reset_window()
        return charts

    def _log(self, values: dict[str, float]) -> None:
        if self.logger is not None:
            self.logger.scalars(values, self.step)

    def evaluate(self) -> dict[str, float]:
        """Ladder evaluation of the current (greedy) learner, Elo update, TensorBoard
        scalars, and checkpoints (latest, and best by Elo) when there is a run_dir."""
        name = f"step_{self.step}"
        policy = self.learner.frozen_policy(seed=self.seed)
        cfg = self.config
        openings = None
        if cfg.eval_opening_plies:
            openings = random_openings(self.game, cfg.eval_games // 2, cfg.eval_opening_plies, seed=self.seed)
        report = evaluate(policy, list(cfg.eval_opponents), self.game, n_games=cfg.eval_games, seed=self.seed,
                          openings=openings)
        report.record_elo(self.elo, name)
        if self._previous_eval is not None:
            previous_name, previous_policy = self._previous_eval
            versus = evaluate(policy, {previous_name: previous_policy}, self.game, n_games=cfg.eval_games,
                              seed=self.seed, openings=openings)
            versus.record_elo(self.elo, name)
        self._previous_eval = (name, policy)
        ratings = self.elo.fit(anchor="random")
        scalars = report.as_scalars()
        scalars["selfplay/elo/learner"] = ratings[name]
        scalars.update({f"selfplay/elo/{opponent}": ratings[opponent] for opponent in cfg.eval_opponents})
        self._log(scalars)
        self.last_report, self.last_eval_step = report, self.step
        self.last_eval_summary = " ".join(
            f"{opponent} {report[opponent].record().rate('win'):.0%}" for opponent in cfg.eval_opponents
        ) + f" elo {ratings[name]:.0f}"
        is_best = ratings[name] > self.best_elo
        if is_best:
            self.best_elo = ratings[name]
        if self.run_dir is not None:
            self.save_checkpoint(best=is_best)
        return scalars

    # -- checkpoints ----------------------------------------------------------------
    def save_checkpoint(self, best: bool = False) -> None:
        """Write ``latest.pt`` (and ``best.pt``) into ``run_dir``."""
        from pathlib import Path

        from boardgym.agents.checkpoint import save_checkpoint, trainer_checkpoint

        payload = trainer_checkpoint(self)
        save_checkpoint(Path(self.run_dir) / "latest.pt", payload)
        if best:
            save_checkpoint(Path(self.run_dir) / "best.pt", payload)

    def state_dict(self) -> dict:
        """The trainer's own state (the learner, pool and Elo table are saved beside it)."""
        return {"rng": self.rng.bit_generator.state, "best_elo": self.best_elo,
                "last_eval_step": self.last_eval_step, "last_eval_summary": self.last_eval_summary}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.best_elo = float(state["best_elo"])
        self.last_eval_step = int(state["last_eval_step"])
        self.last_eval_summary = str(state["last_eval_summary"])
