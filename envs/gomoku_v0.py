"""Gomoku (free-style: five or more in a row) as a PettingZoo AEC environment.

``from boardgym.envs import gomoku_v0; env = gomoku_v0.env()``, or
``pettingzoo.make("aec", "boardgym/gomoku_v0")``. A 15x15 board; a move is a
cell 0-224 in reading order; five in a row wins. See
:class:`boardgym.envs.aec.BoardGameAEC` for observations, rewards, the end of a
game and illegal moves.

Version history: v0, first release.
"""

from __future__ import annotations

from boardgym.envs.aec import BoardGameAEC
from boardgym.envs.rules import GOMOKU


class raw_env(BoardGameAEC):
    """Gomoku (15x15, five in a row)."""

    game = GOMOKU
    metadata = {**BoardGameAEC.metadata, "name": "gomoku_v0"}


def env(render_mode: str | None = None, illegal_move: str = "raise") -> raw_env:
    """The environment; no wrappers are needed (order and illegal moves are checked inside)."""
    return raw_env(render_mode=render_mode, illegal_move=illegal_move)
