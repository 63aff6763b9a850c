"""Exact Tic-Tac-Toe by exhaustive minimax, independent of the code under test:
the perfect player that several tests measure against."""

import functools

import numpy as np

LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


@functools.lru_cache(maxsize=None)
def minimax_value(own: frozenset, other: frozenset) -> int:
    """+1 / 0 / -1: the exact result for the player to move with stones ``own``."""
    if any(all(cell in other for cell in line) for line in LINES):
        return -1
    empty = [cell for cell in range(9) if cell not in own and cell not in other]
    if not empty:
        return 0
    return max(-minimax_value(other, own | {cell}) for cell in empty)


def move_values(planes: np.ndarray, legal: np.ndarray) -> dict[int, int]:
    """Exact value of every legal move for the owner of plane 0 of one board."""
    own = frozenset(np.flatnonzero(planes[0].ravel()).tolist())
    other = frozenset(np.flatnonzero(planes[1].ravel()).tolist())
    return {int(cell): -minimax_value(other, own | {int(cell)}) for cell in np.flatnonzero(legal)}


class PerfectPlayer:
    """Exact minimax. With a seed it picks uniformly among the optimal moves (games
    vary); without one it takes the lowest-index optimal move (games repeat)."""

    name = "minimax"

    def __init__(self, seed=None):
        self.seed(seed)

    def seed(self, seed):
        self.rng = None if seed is None else np.random.default_rng(seed)

    def act(self, observation, action_mask, *, greedy=True):
        actions = []
        for planes, legal in zip(np.asarray(observation), np.asarray(action_mask)):
            values = move_values(planes, legal)
            best = [cell for cell, value in values.items() if value == max(values.values())]
            actions.append(best[0] if self.rng is None else int(self.rng.choice(best)))
        return np.array(actions, dtype=np.int64)
