"""Environment speed on Connect Four against the peers, measured in the same run.

    .venv/bin/python benchmarks/bench_envs.py [--seconds 2 --repeats 3 --num-envs 4096]

Prints one JSON line per measurement: moves per second over full games (with
resets), random legal moves, one process, one thread, the median of
``repeats`` runs. Our runs and the peer's alternate, so both see the same
machine load. Measurements:

* ``aec``: our PettingZoo AEC env vs PettingZoo's ``connect_four_v3`` (its
  ``env()`` with the standard wrappers), the same loop for both:
  ``last()``, read the mask, pick a legal move, ``step()``.
* ``gym_step``: our ``gym.make("boardgym/ConnectFour-v0", opponent="random")``
  (wrappers included) vs OpenSpiel's ``rl_environment.Environment
  ("connect_four")`` loop; moves are the learner's and the opponent's (every
  OpenSpiel step is one move).
* ``vector``: our vector env at ``num_envs`` (observations and masks built
  every step, the random opponent inside) vs OpenSpiel's ``connect_four``
  driven from Python with ``observation_tensor()`` and ``legal_actions()`` read
  before every move; moves are the learner's and the opponent's.

Random legal moves, uniform: single-board loops reject pre-drawn random
columns until one is legal (the same code for us and PettingZoo; OpenSpiel
indexes its legal-action list with a pre-drawn uniform); the vector loop
redraws, batched, where the drawn column is full. Peers are optional: a
missing one is reported in its JSON line and the ratio is null.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import tyro  # noqa: E402

#: Ratio (or absolute rate) each measurement is meant to reach (issue 2).
TARGETS = {"aec": 20.0, "gym_step": 3.0, "vector": 18.0}
VECTOR_TARGET_MOVES_PER_S = 3.5e6


@dataclass
class Config:
    """Benchmark settings."""

    seconds: float = 2.0
    """Length of one timed run (whole games only are counted)."""
    repeats: int = 3
    """Runs per implementation; the median is reported (at least 3)."""
    num_envs: int = 4096
    """Boards in the vector environment."""
    seed: int = 0
    """Seed of the random moves."""

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"seconds must be positive, got {self.seconds}")
        if self.repeats < 3:
            raise ValueError(f"repeats must be at least 3, got {self.repeats}")
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be positive, got {self.num_envs}")


class Clock:
    """Wall-clock and this process's CPU time since creation. CPU time is
    reported too because the machine may be shared: other processes slow the
    wall clock down but hardly this process's CPU seconds."""

    def __init__(self):
        self.wall_start, self.cpu_start = time.perf_counter(), time.process_time()

    def wall(self) -> float:
        return time.perf_counter() - self.wall_start

    def rates(self, moves: int) -> tuple[float, float]:
        """(moves per wall second, moves per CPU second)."""
        return moves / self.wall(), moves / (time.process_time() - self.cpu_start)


class RandomColumns:
    """Uniform legal moves by rejection from a long pre-drawn list of columns."""

    def __init__(self, seed: int, n_actions: int = 7):
        self.draws = np.random.default_rng(seed).integers(0, n_actions, size=1 << 22).tolist()
        self.next = 0

    def pick(self, mask) -> int:
        draws, index = self.draws, self.next
        action = draws[index]
        while not mask[action]:
            index += 1
            action = draws[index]
        self.next = index + 1 if index + 1 < len(draws) - 64 else 0
        return action


def aec_run(make_env: Callable, seconds: float, seed: int) -> tuple[float, float]:
    env = make_env()
    moves_chooser = RandomColumns(seed)
    moves = 0
    clock = Clock()
    while clock.wall() < seconds:
        env.reset()
        for _agent in env.agent_iter():
            observation, reward, terminated, truncated, info = env.last()
            if terminated or truncated:
                env.step(None)
                continue
            env.step(moves_chooser.pick(observation["action_mask"]))
            moves += 1
    return clock.rates(moves)


def gym_run(seconds: float, seed: int) -> tuple[float, float]:
    import gymnasium as gym

    import boardgym.envs  # noqa: F401  (registers the ids)

    env = gym.make("boardgym/ConnectFour-v0", opponent="random")
    board = env.unwrapped.board
    moves_chooser = RandomColumns(seed)
    moves = 0
    env.reset(seed=seed)
    clock = Clock()
    while clock.wall() < seconds:
        observation, _ = env.reset()
        terminated = False
        while not terminated:
            observation, reward, terminated, truncated, info = env.step(moves_chooser.pick(observation["action_mask"]))
        moves += board.num_moves
    return clock.rates(moves)


def openspiel_rl_environment_run(seconds: float, seed: int) -> tuple[float, float]:
    from open_spiel.python import rl_environment

    env = rl_environment.Environment("connect_four")
    uniforms = np.random.default_rng(seed).random(1 << 22).tolist()
    moves = 0
    clock = Clock()
    while clock.wall() < seconds:
        time_step = env.reset()
        while not time_step.last():
            player = time_step.observations["current_player"]
            legal = time_step.observations["legal_actions"][player]
            action = legal[int(uniforms[moves % len(uniforms)] * len(legal))]
            time_step = env.step([action])
            moves += 1
    return clock.rates(moves)


def openspiel_observations_run(seconds: float, seed: int) -> tuple[float, float]:
    import pyspiel

    game = pyspiel.load_game("connect_four")
    uniforms = np.random.default_rng(seed).random(1 << 22).tolist()
    moves = 0
    clock = Clock()
    while clock.wall() < seconds:
        state = game.new_initial_state()
        while not state.is_terminal():
            np.asarray(state.observation_tensor(), dtype=np.float32)
            legal = state.legal_actions()
            state.apply_action(legal[int(uniforms[moves % len(uniforms)] * len(legal))])
            moves += 1
    return clock.rates(moves)


def vector_run(num_envs: int, seconds: float, seed: int) -> tuple[float, float]:
    import gymnasium as gym

    import boardgym.envs  # noqa: F401

    envs = gym.make_vec("boardgym/ConnectFour-v0", num_envs=num_envs, opponent="random", learner_seat="random")
    rng = np.random.default_rng(seed)
    observation, _ = envs.reset(seed=seed)
    num_moves = envs.state.num_moves
    moves = -int(num_moves.sum())  # opening moves made inside reset
    boards = np.arange(num_envs)
    terminated = np.zeros(num_envs, dtype=bool)
    clock = Clock()
    while clock.wall() < seconds:
        # Rejection sampling: redraw where the column is full (games that just
        # ended have no legal move and their action is ignored anyway).
        mask = observation["action_mask"]
        actions = rng.integers(0, mask.shape[1], size=num_envs)
        redraw = (mask[boards, actions] == 0) & ~terminated
        while redraw.any():
            actions[redraw] = rng.integers(0, mask.shape[1], size=int(redraw.sum()))
            redraw &= mask[boards, actions] == 0
        observation, rewards, terminated, truncated, info = envs.step(actions)
        # A finished game's length is read on the step it ends; the next step
        # resets it.
        moves += int(num_moves[terminated].sum(dtype=np.int64))
    moves += int(num_moves[~terminated].sum(dtype=np.int64))
    return clock.rates(moves)


def measure(ours: Callable[[], tuple], peer: Callable[[], tuple] | None, repeats: int):
    """Alternate our runs and the peer's; return the two lists of (wall, cpu) rates."""
    our_rates, peer_rates = [], []
    for _ in range(repeats):
        our_rates.append(ours())
        if peer is not None:
            peer_rates.append(peer())
    return our_rates, peer_rates


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def report(name: str, ours: list, peer_name: str, peer: list | None, note: str = "") -> dict:
    ours_wall, ours_cpu = _medians(ours)
    line = {
        "benchmark": name,
        "impl": "boardgym",
        "moves_per_s": round(ours_wall),
        "moves_per_cpu_s": round(ours_cpu),
        "runs": [round(wall) for wall, _ in ours],
        "peer": peer_name,
        "peer_moves_per_s": None,
        "peer_moves_per_cpu_s": None,
        "peer_runs": None,
        "ratio": None,
        "ratio_cpu": None,
        "target_ratio": TARGETS[name],
        "ratio_met": None,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if peer:
        peer_wall, peer_cpu = _medians(peer)
        line.update(peer_moves_per_s=round(peer_wall), peer_moves_per_cpu_s=round(peer_cpu),
                    peer_runs=[round(wall) for wall, _ in peer], ratio=round(ours_wall / peer_wall, 2),
                    ratio_cpu=round(ours_cpu / peer_cpu, 2))
        line["ratio_met"] = line["ratio"] >= TARGETS[name]
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)
    return line


def _optional(import_name: str) -> str | None:
    """None if the module imports, else why not."""
    try:
        __import__(import_name)
    except ImportError as err:
        return f"{import_name} not installed ({err}); peer skipped"
    return None


def main(config: Config) -> None:
    from boardgym.envs import connect_four_v0

    pettingzoo_missing = _optional("pettingzoo.classic.connect_four.connect_four")
    openspiel_missing = _optional("pyspiel")
    seconds, seed, repeats = config.seconds, config.seed, config.repeats

    def pettingzoo_env():
        import pettingzoo

        return pettingzoo.make("aec", "classic/connect_four-v3")  # its env(): raw env + the standard wrappers

    ours, peer = measure(lambda: aec_run(connect_four_v0.env, seconds, seed),
                         None if pettingzoo_missing else lambda: aec_run(pettingzoo_env, seconds, seed), repeats)
    report("aec", ours, "pettingzoo classic connect_four_v3 env() (wrapped)", peer, pettingzoo_missing or "")

    ours, peer = measure(lambda: gym_run(seconds, seed),
                         None if openspiel_missing else lambda: openspiel_rl_environment_run(seconds, seed), repeats)
    report("gym_step", ours, "open_spiel rl_environment connect_four", peer, openspiel_missing or "")

    ours, peer = measure(lambda: vector_run(config.num_envs, seconds, seed),
                         None if openspiel_missing else lambda: openspiel_observations_run(seconds, seed), repeats)
    line = report("vector", ours, "open_spiel connect_four + observation_tensor per move", peer,
                  openspiel_missing or f"num_envs={config.num_envs}")
    print(json.dumps({
        "benchmark": "vector_absolute",
        "moves_per_s": line["moves_per_s"],
        "moves_per_cpu_s": line["moves_per_cpu_s"],
        "target_moves_per_s": VECTOR_TARGET_MOVES_PER_S,
        "met": line["moves_per_s"] >= VECTOR_TARGET_MOVES_PER_S,
        "num_envs": config.num_envs,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }), flush=True)


if __name__ == "__main__":
    main(tyro.cli(Config))
