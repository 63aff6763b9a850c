"""Drawing boards: text, RGB arrays (numpy only, no display) and a pygame window.

Every environment renders through these helpers from the absolute-player planes
(2, rows, cols) of its board, so the final position shows every stone whether
the game ended in a win, a draw or an illegal move. pygame is imported only
when a window is opened (``render_mode="human"``).
"""

from __future__ import annotations

import numpy as np

from boardgym.envs.rules import Game, render_ansi

#: Colours (RGB) of the board, an empty hole, player_0's and player_1's stones.
BOARD_COLOUR = {True: (30, 70, 170), False: (205, 170, 110)}  # gravity: blue rack; else a wooden board
STONE_COLOURS = np.array([(235, 235, 235), (215, 40, 40), (245, 200, 30)], dtype=np.uint8)
CELL_PIXELS = 48

PYGAME_MISSING = (
    'render_mode="human" needs pygame, which is not installed; install it with '
    "`pip install boardgym[render]` (or `pip install pygame`), or use "
    'render_mode="rgb_array" / "ansi", which need no display.'
)


def ansi(game: Game, planes: np.ndarray, status: str | None = None) -> str:
    """The board as text (X = player_0, O = player_1), with an optional status line."""
    text = render_ansi(game, planes)
    return text if status is None else f"{text}{status}\n"


def _disc(cell: int) -> np.ndarray:
    """bool (cell, cell): a filled circle leaving a margin around it."""
    centre = (cell - 1) / 2
    y, x = np.ogrid[:cell, :cell]
    return (y - centre) ** 2 + (x - centre) ** 2 <= (0.42 * cell) ** 2


def rgb_array(game: Game, planes: np.ndarray, cell: int = CELL_PIXELS) -> np.ndarray:
    """uint8 (rows*cell, cols*cell, 3): the board with one disc per cell."""
    planes = np.asarray(planes)
    if planes.shape != (2, game.rows, game.cols):
        raise ValueError(f"planes must have shape (2, {game.rows}, {game.cols}), got {planes.shape}")
    # 0 = empty, 1 = player_0, 2 = player_1, per cell.
    owner = (planes[0] != 0) * 1 + (planes[1] != 0) * 2
    stone = STONE_COLOURS[np.minimum(owner, 2)]  # (rows, cols, 3)
    background = np.array(BOARD_COLOUR[game.gravity], dtype=np.uint8)
    disc = _disc(cell)[None, :, None, :, None]  # broadcast over (rows, y, cols, x, rgb)
    image = np.where(disc, stone[:, None, :, None, :], background)
    return np.ascontiguousarray(image.reshape(game.rows * cell, game.cols * cell, 3))


class HumanViewer:
    """A pygame window that shows RGB frames; pygame is imported on first use."""

    def __init__(self, title: str):
        self.title = title
        self._screen = None
        self._pygame = None

    def show(self, frame: np.ndarray) -> None:
        if self._pygame is None:
            try:
                import pygame
            except ModuleNotFoundError as err:
                raise ModuleNotFoundError(PYGAME_MISSING) from err
            pygame.display.init()
            pygame.display.set_caption(self.title)
            self._pygame = pygame
            self._screen = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
        pygame = self._pygame
        pygame.event.pump()
        # pygame surfaces are indexed (x, y); frames are (y, x).
        pygame.surfarray.blit_array(self._screen, frame.transpose(1, 0, 2))
        pygame.display.flip()

    def close(self) -> None:
        if self._pygame is not None:
            self._pygame.display.quit()
            self._pygame = None
            self._screen = None


RENDER_MODES = ("ansi", "rgb_array", "human")


class BoardRenderer:
    """An environment's ``render()``: text for "ansi", an array for "rgb_array",
    a window for "human" (returns None), nothing when the mode is None."""

    def __init__(self, game: Game, render_mode: str | None, title: str):
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be None or one of {RENDER_MODES}, got {render_mode!r}")
        self.game = game
        self.render_mode = render_mode
        self._viewer = HumanViewer(title) if render_mode == "human" else None

    def render(self, planes: np.ndarray, status: str | None = None):
        if self.render_mode == "ansi":
            return ansi(self.game, planes, status)
        if self.render_mode == "rgb_array":
            return rgb_array(self.game, planes)
        if self.render_mode == "human":
            self._viewer.show(rgb_array(self.game, planes))
        return None

    def close(self) -> None:
        if self._viewer is not None:
            self._viewer.close()
