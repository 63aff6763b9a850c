"""The policy interface every player in boardgym implements, learned or scripted.

A policy is anything with ``act(observation, action_mask, *, greedy) -> actions``
over a batch: ``observation`` int8 (B, 2, rows, cols) from the mover's point of
view, ``action_mask`` int8 (B, n_actions), and the result an int array (B,) of
legal moves. Policies that draw random numbers take a seed and expose
``seed(seed)`` so that an environment's ``reset(seed=...)`` governs them too.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Policy(Protocol):
    """Batched observations and legal-move masks in, legal actions out."""

    def act(self, observation: np.ndarray, action_mask: np.ndarray, *, greedy: bool = True) -> np.ndarray:
        ...


def check_batch(observation: np.ndarray, action_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a policy's inputs: matching batch sizes and at least one legal move per row."""
    observation = np.asarray(observation)
    action_mask = np.asarray(action_mask)
    if observation.ndim != 4 or observation.shape[1] != 2:
        raise ValueError(f"observation must be (B, 2, rows, cols), got shape {observation.shape}")
    if action_mask.ndim != 2 or action_mask.shape[0] != observation.shape[0]:
        raise ValueError(
            f"action_mask must be (B, n_actions) with B={observation.shape[0]}, got shape {action_mask.shape}"
        )
    empty = np.flatnonzero(~action_mask.astype(bool).any(axis=1))
    if empty.size:
        raise ValueError(f"row {int(empty[0])} of action_mask has no legal move: the game there has ended")
    return observation, action_mask


def sample_legal(rng: np.random.Generator, action_mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """One legal action per row, uniformly or in proportion to non-negative ``weights``
    (rows whose legal weights are all zero fall back to uniform)."""
    legal = np.asarray(action_mask).astype(bool)
    if weights is None:
        # The legal move with the largest uniform key is uniform over legal moves.
        keys = rng.random(legal.shape)
        keys[~legal] = -1.0
        return keys.argmax(axis=1).astype(np.int64)
    weights = np.where(legal, weights, 0.0)
    weights = np.where(weights.sum(axis=1, keepdims=True) > 0, weights, legal)
    # Exponential race: argmin of Exp(1) / w_i picks i with probability w_i / sum(w).
    with np.errstate(divide="ignore"):
        keys = rng.exponential(size=legal.shape) / weights
    return keys.argmin(axis=1).astype(np.int64)


def argmax_legal(values: np.ndarray, action_mask: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Greedy choice among legal actions; ties broken at random when ``rng`` is given, else lowest index."""
    legal = np.asarray(action_mask).astype(bool)
    masked = np.where(legal, values, -np.inf)
    if rng is None:
        return masked.argmax(axis=1).astype(np.int64)
    best = masked == masked.max(axis=1, keepdims=True)
    return sample_legal(rng, best & legal)
