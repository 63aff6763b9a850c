"""What the self-play trainer needs from a learner, and the pieces DQN and
REINFORCE share: finished episodes as flat arrays, symmetry augmentation, and a
batched policy over a torch network.

The trainer plays games, records every decision the learner made in a seat
(planes from its view, legal mask, action) and, when a game ends, hands the
whole decision sequence of that seat with the seat's final reward to
``learner.add_episodes``. DQN cuts it into transitions; REINFORCE turns it into
discounted returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from boardgym.agents.policy import argmax_legal, check_batch, sample_legal
from boardgym.envs import rules
from boardgym.envs.rules import Game


@dataclass
class Episodes:
    """Decisions of several finished episodes, concatenated in play order.

    ``episode[i]`` numbers the episode of decision ``i``, ``move[i]`` its index
    within that episode, ``length[i]`` the episode's number of decisions and
    ``final_reward[i]`` the episode's reward from the deciding seat's view.
    """

    planes: np.ndarray
    masks: np.ndarray
    actions: np.ndarray
    episode: np.ndarray
    move: np.ndarray
    length: np.ndarray
    final_reward: np.ndarray

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def is_last(self) -> np.ndarray:
        return self.move == self.length - 1

    def discounted_returns(self, gamma: float) -> np.ndarray:
        """Return of each decision: the final reward discounted by the moves left."""
        moves_left = (self.length - 1 - self.move).astype(np.float32)
        return (self.final_reward * np.float32(gamma) ** moves_left).astype(np.float32)


def mirrored_copies(game: Game, planes: np.ndarray, masks: np.ndarray, actions: np.ndarray):
    """Every board symmetry applied to planes, masks and actions together, the
    identity first; returns a list of (planes, masks, actions) triples."""
    return [
        (symmetry.planes(planes), symmetry.per_action(masks), symmetry.action(actions))
        for symmetry in rules.symmetries(game)
    ]


def to_tensor(planes: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(planes), dtype=torch.float32)


class NetworkPolicy:
    """A batched Policy over a network's per-action scores (Q-values or logits).

    Greedy: the best legal score (lowest index on ties, so it is
    deterministic). Otherwise ``explore`` decides: ``"epsilon"`` plays a
    uniformly random legal move with probability ``epsilon``; ``"softmax"``
    samples from the softmax over legal scores only.
    """

    def __init__(self, network: torch.nn.Module, game: Game, *, explore: str,
                 epsilon: float = 0.0, seed: int | None = None, scores=None):
        if explore not in ("epsilon", "softmax"):
            raise ValueError(f"explore must be 'epsilon' or 'softmax', got {explore!r}")
        self.network = network
        self.game = game
        self.explore = explore
        self.epsilon = float(epsilon)
        self.rng = np.random.default_rng(seed)
        self._scores = scores or network

    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)

    def scores(self, observation: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._scores(to_tensor(observation)).numpy()

    def act(self, observation, action_mask, *, greedy: bool = True) -> np.ndarray:
        observation, action_mask = check_batch(observation, action_mask)
        scores = self.scores(observation)
        if greedy:
            return argmax_legal(scores, action_mask)
        if self.explore == "softmax":
            legal = action_mask.astype(bool)
            shifted = np.where(legal, scores - np.where(legal, scores, -np.inf).max(axis=1, keepdims=True), -np.inf)
            return sample_legal(self.rng, action_mask, np.exp(shifted))
        actions = argmax_legal(scores, action_mask)
        explore = self.rng.random(len(actions)) < self.epsilon
        if explore.any():
            actions[explore] = sample_legal(self.rng, action_mask[explore])
        return actions

    def __repr__(self) -> str:
        return f"NetworkPolicy({type(self.network).__name__}, game={self.game.name!r}, explore={self.explore!r})"
