"""Connect Four as a PettingZoo AEC environment.

``from boardgym.envs import connect_four_v0; env = connect_four_v0.env()``, or
``pettingzoo.make("aec", "boardgym/connect_four_v0")``. A 6-row by 7-column
rack; a move is a column (0-6, left to right) and the stone falls to the lowest
empty cell; four in a row horizontally, vertically or diagonally wins. See
:class:`boardgym.envs.aec.BoardGameAEC` for observations, rewards, the end of a
game and illegal moves.

Version history: v0, first release.
"""

from __future__ import annotations

from boardgym.envs.aec import BoardGameAEC
from boardgym.envs.rules import CONNECT_FOUR


class raw_env(BoardGameAEC):
    """Connect Four (6x7, four in a row, stones fall)."""

    game = CONNECT_FOUR
    metadata = {**BoardGameAEC.metadata, "name": "connect_four_v0"}


def env(render_mode: str | None = None, illegal_move: str = "raise") -> raw_env:
    """The environment; no wrappers are needed (order and illegal moves are checked inside)."""
    return raw_env(render_mode=render_mode, illegal_move=illegal_move)
