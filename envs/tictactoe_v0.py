"""Tic-Tac-Toe as a PettingZoo AEC environment.

``from boardgym.envs import tictactoe_v0; env = tictactoe_v0.env()``, or
``pettingzoo.make("aec", "boardgym/tictactoe_v0")``. A 3x3 board; a move is a
cell 0-8 in reading order (row-major, top-left first); three in a row wins.
See :class:`boardgym.envs.aec.BoardGameAEC` for observations, rewards, the end
of a game and illegal moves.

Version history: v0, first release.
"""

from __future__ import annotations

from boardgym.envs.aec import BoardGameAEC
from boardgym.envs.rules import TICTACTOE


class raw_env(BoardGameAEC):
    """Tic-Tac-Toe (3x3, three in a row)."""

    game = TICTACTOE
    metadata = {**BoardGameAEC.metadata, "name": "tictactoe_v0"}


def env(render_mode: str | None = None, illegal_move: str = "raise") -> raw_env:
    """The environment; no wrappers are needed (order and illegal moves are checked inside)."""
    return raw_env(render_mode=render_mode, illegal_move=illegal_move)
