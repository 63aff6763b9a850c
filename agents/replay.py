"""A fixed-size replay buffer of two-player transitions, stored as numpy arrays.

A transition runs from the agent's own decision to its next one (the
opponent's reply is folded in): ``planes`` and ``action`` at the first,
``reward`` from the agent's view, and at the second ``next_planes`` plus
``next_mask``, the legal moves there, which the DQN target needs. ``done``
marks the end of the game (then ``next_mask`` is all zeros and nothing is
bootstrapped).
"""

from __future__ import annotations

import numpy as np

FIELDS = ("planes", "actions", "rewards", "next_planes", "next_masks", "dones")


class ReplayBuffer:
    """Circular buffer; the oldest transitions are overwritten when full."""

    def __init__(self, capacity: int, plane_shape: tuple[int, int, int], n_actions: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = int(capacity)
        self.planes = np.zeros((capacity, *plane_shape), dtype=np.int8)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.next_planes = np.zeros((capacity, *plane_shape), dtype=np.int8)
        self.next_masks = np.zeros((capacity, n_actions), dtype=np.int8)
        self.dones = np.zeros(capacity, dtype=bool)
        self.size = 0
        self.position = 0

    def __len__(self) -> int:
        return self.size

    def add(self, planes, actions, rewards, next_planes, next_masks, dones) -> None:
        """Append a batch of transitions (arrays with the same first dimension)."""
        count = len(actions)
        if count == 0:
            return
        if count > self.capacity:
            raise ValueError(f"cannot add {count} transitions to a buffer of capacity {self.capacity}")
        slots = (self.position + np.arange(count)) % self.capacity
        for name, values in zip(FIELDS, (planes, actions, rewards, next_planes, next_masks, dones)):
            getattr(self, name)[slots] = values
        self.position = int((self.position + count) % self.capacity)
        self.size = min(self.size + count, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch_size`` transitions drawn uniformly with replacement."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        index = rng.integers(0, self.size, size=batch_size)
        return {name: getattr(self, name)[index] for name in FIELDS}
