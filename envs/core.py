"""Conventions shared by the AEC, single-agent and vector environments: seat
names, the observation space, illegal-move modes and how a move is read."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from boardgym.envs.rules import NO_WINNER, Game, IllegalMoveError

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


def checked_moves(player, chosen, masks: np.ndarray, unit: str, indices, role: str = "") -> np.ndarray:
    """``chosen`` (``player``'s answer to a batch) as intp when it is one legal
    move per row of ``masks``; else IllegalMoveError naming the player (``role``
    then its repr, formatted only then), the first bad move, where it was
    (``unit`` and ``indices[row]``, e.g. "game 3") and the legal moves there.
    Shared by every loop that lets a policy move a batch."""
    chosen = np.asarray(chosen)
    if chosen.shape != (len(masks),) or not np.issubdtype(chosen.dtype, np.integer):
        raise IllegalMoveError(f"{role}{player!r} returned {chosen.dtype} {chosen.shape}, expected {len(masks)} integer moves")
    chosen = chosen.astype(np.intp)
    in_range = (chosen >= 0) & (chosen < masks.shape[1])
    legal = in_range & (masks[np.arange(len(masks)), np.where(in_range, chosen, 0)] == 1)
    if not legal.all():
        row = int(np.flatnonzero(~legal)[0])
        raise IllegalMoveError(f"{role}{player!r} chose {int(chosen[row])} in {unit} {int(indices[row])}; "
                               f"legal moves: {np.flatnonzero(masks[row]).tolist()}")
    return chosen


def status_text(phase: int, winner: int, to_move: int) -> str:
    """One line for renderings: whose move it is, or how the game ended."""
    if phase == NOT_RESET:
        return "not started: call reset()"
    if phase == PLAYING:
        return f"{AGENTS[to_move]} ({'XO'[to_move]}) to move"
    return "draw" if winner == NO_WINNER else f"{AGENTS[winner]} ({'XO'[winner]}) wins"
