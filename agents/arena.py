"""Batched games between policies: the loop that evaluation, tournaments and
benchmarks share. Each ply, every policy acts once on the boards where it is to
move, and all boards step together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from boardgym.envs import rules
from boardgym.envs.core import checked_moves
from boardgym.envs.rules import Game, get_game


@dataclass
class Games:
    """Finished games: ``seats[g, p]`` is the index of the policy that played
    seat ``p`` in game ``g``; ``winners[g]`` is the winning seat or -1 for a draw."""

    seats: np.ndarray
    winners: np.ndarray
    lengths: np.ndarray
    moves: np.ndarray | None = None

    def outcome_for(self, policy_index: int) -> np.ndarray:
        """Per game: +1 win, 0 draw, -1 loss for ``policy_index`` (NaN if it did not play)."""
        played = (self.seats == policy_index).any(axis=1)
        seat = np.where(self.seats[:, 0] == policy_index, 0, 1)
        score = np.where(self.winners < 0, 0.0, np.where(self.winners == seat, 1.0, -1.0))
        return np.where(played, score, np.nan)


def play_games(
    game: Game | str,
    policies: Sequence,
    seats: np.ndarray,
    *,
    greedy: bool = True,
    record_moves: bool = False,
    start: rules.State | None = None,
) -> Games:
    """Play ``len(seats)`` games at once; ``seats`` is int (n_games, 2) of policy indices.

    A policy that returns an illegal move raises IllegalMoveError naming it.
    ``start`` optionally gives the positions the games begin from.
    """
    game = get_game(game)
    seats = np.asarray(seats, dtype=np.intp)
    if seats.ndim != 2 or seats.shape[1] != 2:
        raise ValueError(f"seats must be (n_games, 2), got shape {seats.shape}")
    if seats.size and (seats.min() < 0 or seats.max() >= len(policies)):
        raise ValueError(f"seats refer to policies 0..{len(policies) - 1}, got {np.unique(seats).tolist()}")
    n_games = len(seats)
    state = rules.initial(game, n_games) if start is None else start.copy()
    start_moves = state.num_moves.copy()
    history = np.full((n_games, game.n_cells), -1, dtype=np.int16) if record_moves else None
    games = np.arange(n_games)
    while not state.terminated.all():
        active = ~state.terminated
        mover = seats[games, state.to_move]
        # One observation of the whole batch per ply; each policy sees its rows.
        planes, masks = rules.observe(game, state), rules.legal_mask(game, state)
        actions = np.zeros(n_games, dtype=np.intp)
        for index, policy in enumerate(policies):
            boards = np.flatnonzero(active & (mover == index))
            if boards.size:
                chosen = policy.act(planes[boards], masks[boards], greedy=greedy)
                actions[boards] = checked_moves(policy, chosen, masks[boards], "game", boards)
        if history is not None:
            history[active, state.num_moves[active]] = actions[active]
        rules.step_unchecked(game, state, actions, active)
    return Games(seats=seats, winners=state.winner.astype(np.int8),
                 lengths=(state.num_moves - start_moves).astype(np.int16), moves=history)


def alternate_seats(n_games: int, first: int = 0, second: int = 1) -> np.ndarray:
    """Seats for ``n_games`` with the two policies swapping seats game by game (half each)."""
    seats = np.empty((n_games, 2), dtype=np.intp)
    seats[0::2] = (first, second)
    seats[1::2] = (second, first)
    return seats
