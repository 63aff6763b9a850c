"""Learning speed on Connect Four: boardgym's DQN and REINFORCE against
Stable-Baselines3 DQN and sb3-contrib MaskablePPO (where installed), each
trained for the same wall-clock budget, then evaluated against random and
greedy in both seats.

boardgym's learners train by self-play against their default opponent pool;
the SB3 agents train as the first player against random through
``gym.make("boardgym/ConnectFour-v0", opponent="random", learner_seat=0)``
(SB3 DQN cannot mask, so it trains with ``illegal_move="lose"``; at evaluation
an illegal choice is replaced by a random legal move and counted).

One JSON line per agent: win rates over both seats and as first player, the
environment steps trained, and the ratio of its greedy win rate to each peer's
measured in the same run. Usage::

    python benchmarks/bench_training.py --seconds 240 --games 400
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

import numpy as np


def _train_ours(algo: str, seconds: float, seed: int, logdir: str):
    from boardgym.agents.selfplay import SelfPlayConfig
    from boardgym.agents.training import TrainConfig, run_training

    # No ladder evaluations during training: the whole budget goes to learning, as for the SB3 agents.
    config = TrainConfig(game="connect_four", algo=algo, steps=10**9, seed=seed, logdir=logdir, quiet=True,
                         time_limit=seconds, threads=1, selfplay=SelfPlayConfig(eval_interval=0))
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON lines
        trainer = run_training(config)
    return trainer.learner.frozen_policy(seed=seed), trainer.step


class _StopAfter:
    """An SB3 callback stopping training after ``seconds`` of wall-clock time."""

    def __new__(cls, seconds: float):
        from stable_baselines3.common.callbacks import BaseCallback

        class StopAfter(BaseCallback):
            def _on_training_start(self) -> None:
                self.deadline = time.perf_counter() + seconds

            def _on_step(self) -> bool:
                return time.perf_counter() < self.deadline

        return StopAfter()


class _SB3Policy:
    """A batched boardgym Policy over an SB3 model (illegal picks become random legal moves)."""

    def __init__(self, model, masked: bool, seed: int):
        self.model, self.masked = model, masked
        self.rng = np.random.default_rng(seed)
        self.illegal_choices = 0

    def act(self, observation, action_mask, *, greedy=True):
        from boardgym.agents.policy import sample_legal

        obs = {"observation": np.asarray(observation, np.int8), "action_mask": np.asarray(action_mask, np.int8)}
        if self.masked:
            actions, _ = self.model.predict(obs, action_masks=np.asarray(action_mask, bool), deterministic=greedy)
        else:
            actions, _ = self.model.predict(obs, deterministic=greedy)
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        illegal = action_mask[np.arange(len(actions)), actions] == 0
        self.illegal_choices += int(illegal.sum())
        if illegal.any():
            actions[illegal] = sample_legal(self.rng, action_mask[illegal])
        return actions


def _train_sb3(name: str, seconds: float, seed: int):
    import gymnasium as gym
    import torch

    import boardgym.envs  # noqa: F401  (registers the environments)

    torch.set_num_threads(1)
    if name == "sb3-dqn":
        from stable_baselines3 import DQN

        env = gym.make("boardgym/ConnectFour-v0", opponent="random", learner_seat=0, illegal_move="lose")
        model = DQN("MultiInputPolicy", env, seed=seed, verbose=0)
    else:
        from sb3_contrib import MaskablePPO

        env = gym.make("boardgym/ConnectFour-v0", opponent="random", learner_seat=0)
        model = MaskablePPO("MultiInputPolicy", env, seed=seed, verbose=0)
    model.learn(total_timesteps=10**9, callback=_StopAfter(seconds))
    return _SB3Policy(model, masked=name != "sb3-dqn", seed=seed), int(model.num_timesteps)


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training budget per agent")
    parser.add_argument("--games", type=int, default=400, help="evaluation games per opponent (half per seat)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--logdir", default="/tmp/boardgym_bench_training")
    parser.add_argument("--agents", default="boardgym-dqn,boardgym-reinforce,sb3-dqn,sb3-maskable-ppo")
    args = parser.parse_args(argv)

    from boardgym.agents.evaluation import evaluate

    agents = [name.strip() for name in args.agents.split(",") if name.strip()]
    needs = {"sb3-dqn": "stable_baselines3", "sb3-maskable-ppo": "sb3_contrib"}
    results = []
    for name in agents:
        if name in needs and not _installed(needs[name]):
            print(json.dumps({"agent": name, "skipped": f"{needs[name]} is not installed"}))
            continue
        started = time.perf_counter()
        if name.startswith("boardgym-"):
            policy, steps = _train_ours(name.removeprefix("boardgym-"), args.seconds, args.seed, args.logdir)
        else:
            policy, steps = _train_sb3(name, args.seconds, args.seed)
        trained = time.perf_counter() - started
        report = evaluate(policy, ["random", "greedy"], "connect_four", n_games=args.games, seed=args.seed + 1)
        row = {"agent": name, "train_seconds": round(trained, 1), "env_steps": steps, "eval_games": args.games}
        for opponent in ("random", "greedy"):
            row[f"win_vs_{opponent}"] = round(report[opponent].record().rate("win"), 4)
            row[f"win_vs_{opponent}_first"] = round(report[opponent].record("first").rate("win"), 4)
            row[f"win_vs_{opponent}_second"] = round(report[opponent].record("second").rate("win"), 4)
        if isinstance(policy, _SB3Policy):
            row["illegal_choices_replaced"] = policy.illegal_choices
        results.append(row)
    for row in results:
        for peer in results:
            if peer is not row and peer["win_vs_greedy"] > 0:
                row[f"greedy_win_ratio_to_{peer['agent']}"] = round(row["win_vs_greedy"] / peer["win_vs_greedy"], 3)
        print(json.dumps(row))


if __name__ == "__main__":
    main()
