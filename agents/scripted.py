"""Scripted opponents: the strength ladder every learner is measured on.

``make_policy("alphabeta:4", game, seed=0)`` parses a name into a policy; the
environments and the CLI resolve opponent names through it. Names: ``random``;
``greedy`` (win now, else block the opponent's immediate win, else random);
more are registered in :data:`SCRIPTED` by the modules that implement them.
A path to a ``.pt`` checkpoint loads a trained policy.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from boardgym.agents.policy import check_batch, sample_legal
from boardgym.envs.rules import Game, get_game, winning_moves


class ScriptedPolicy:
    """Base for rule-based players: a game, a seeded generator, ``seed(seed)``."""

    name = "scripted"

    def __init__(self, game: Game | str, seed: int | None = None):
        self.game = get_game(game)
        self.rng = np.random.default_rng(seed)

    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, game={self.game.name!r})"


class RandomPolicy(ScriptedPolicy):
    """Uniform over legal moves."""

    name = "random"

    def act(self, observation, action_mask, *, greedy: bool = True) -> np.ndarray:
        observation, action_mask = check_batch(observation, action_mask)
        return sample_legal(self.rng, action_mask)

    def act_single(self, observation, action_mask) -> int:
        """One board's move without the batch overhead (the single-agent env's
        fast path): uniform random actions, redrawn until one is legal."""
        n_actions = len(action_mask)
        for _ in range(4 * n_actions):
            action = int(self._uniform() * n_actions)
            if action_mask[action]:
                return action
        legal = np.flatnonzero(action_mask)  # few legal moves left, or none
        if legal.size == 0:
            raise ValueError("action_mask has no legal move: the game has ended")
        return int(legal[int(self._uniform() * legal.size)])

    def _uniform(self) -> float:
        """The next uniform draw from ``self.rng``, drawn 1024 at a time because
        one draw per call costs more than the move itself. A new generator
        (``seed()``) starts a new block."""
        if getattr(self, "_block_source", None) is not self.rng or not self._block:
            self._block_source, self._block = self.rng, self.rng.random(1024).tolist()
        return self._block.pop()


class GreedyPolicy(ScriptedPolicy):
    """Win now if possible, else block the opponent's immediate win, else random."""

    name = "greedy"

    def act(self, observation, action_mask, *, greedy: bool = True) -> np.ndarray:
        observation, action_mask = check_batch(observation, action_mask)
        wins = winning_moves(self.game, observation, action_mask)
        blocks = winning_moves(self.game, observation[:, ::-1], action_mask)
        choice = np.where(wins.any(axis=1, keepdims=True), wins,
                          np.where(blocks.any(axis=1, keepdims=True), blocks, action_mask.astype(bool)))
        return sample_legal(self.rng, choice)


PolicyFactory = Callable[..., object]

#: name -> factory(game, seed=..., arg=...) for names written ``name`` or ``name:arg``.
SCRIPTED: dict[str, PolicyFactory] = {
    "random": lambda game, seed=None, arg=None: RandomPolicy(game, seed),
    "greedy": lambda game, seed=None, arg=None: GreedyPolicy(game, seed),
}


def register(name: str, factory: PolicyFactory) -> None:
    """Add a scripted player under ``name`` (``factory(game, seed=, arg=)``)."""
    SCRIPTED[name] = factory


def _load_optional_players() -> None:
    """Import the modules that register more names (search, solver, human-like)."""
    import importlib

    for module in ("boardgym.agents.alphabeta", "boardgym.agents.solver", "boardgym.agents.humanlike"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


def is_checkpoint_path(spec: str) -> bool:
    """Whether an opponent spec names a checkpoint file rather than a scripted player."""
    return spec.endswith(".pt") or os.path.sep in spec


def make_policy(spec, game: Game | str, seed: int | None = None):
    """A policy from a spec: a policy object (returned as is), a scripted name
    such as ``"random"`` or ``"alphabeta:4"``, or a path to a checkpoint."""
    if hasattr(spec, "act"):
        return spec
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"an opponent must be a policy with .act() or a name, got {type(spec).__name__}")
    spec = os.fspath(spec)
    game = get_game(game)
    if is_checkpoint_path(spec):
        from boardgym.agents.checkpoint import load_policy

        return load_policy(spec, game=game, seed=seed)
    name, _, arg = spec.partition(":")
    if name not in SCRIPTED:
        _load_optional_players()
    if name not in SCRIPTED:
        raise ValueError(f"unknown opponent {spec!r}; known: {sorted(SCRIPTED)} or a path to a .pt checkpoint")
    return SCRIPTED[name](game, seed=seed, arg=arg or None)
