"""Conventions shared by the AEC, single-agent and vector environments: seat
names, the observation space, illegal-move modes and how a move is read."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from boardgym.envs.rules import NO_WINNER, Game

AGENTS = ("player_0", "player_1")
ILLEGAL_MOVE_MODES = ("raise", "lose")

# Life cycle of an episode: no reset yet; moves being played; the game ended
# (for the AEC env: the agents are stepping None, the terminal protocol).
NOT_RESET, PLAYING, ENDED = 0, 1, 2


def observation_space(game: Game) -> spaces.Dict:
    """``{"observation": int8 (2, rows, cols), "action_mask": int8 (n_actions,)}``."""
    return spaces.Dict({
        "observation": spaces.Box(0, 1, shape=(2, game.rows, game.cols), dtype=np.int8),
        "action_mask": spaces.Box(0, 1, shape=(game.n_actions,), dtype=np.int8),
    })


def check_illegal_move_mode(illegal_move: str) -> str:
    if illegal_move not in ILLEGAL_MOVE_MODES:
        raise ValueError(f"illegal_move must be one of {ILLEGAL_MOVE_MODES}, got {illegal_move!r}")
    return illegal_move


def as_move(action):
    """``action`` as a plain int if it is an integer scalar (Python, numpy or a
    0-d array), else None. Booleans and floats are not moves."""
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        return None
    return int(action)


def illegal_move_message(action, legal_moves: list[int]) -> str:
    """Why ``action`` cannot be played, and which moves can: one wording for every env."""
    if as_move(action) is None:
        why = f"{action!r} ({type(action).__name__}) is not a move: a move is one integer"
    else:
        why = f"move {as_move(action)} is illegal here (out of range, a full column or a taken cell)"
    return f"{why}; legal moves: {legal_moves}"


def status_text(phase: int, winner: int, to_move: int) -> str:
    """One line for renderings: whose move it is, or how the game ended."""
    if phase == NOT_RESET:
        return "not started: call reset()"
    if phase == PLAYING:
        return f"{AGENTS[to_move]} ({'XO'[to_move]}) to move"
    return "draw" if winner == NO_WINNER else f"{AGENTS[winner]} ({'XO'[winner]}) wins"
