"""Single-agent Gymnasium environments: the learner plays one seat, a built-in
opponent the other (``gym.make("boardgym/ConnectFour-v0", opponent="greedy")``)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from boardgym.envs.core import (AGENTS, ENDED, NOT_RESET, PLAYING, as_move, check_illegal_move_mode, illegal_move_message,
                                observation_space, status_text)
from boardgym.envs.opponents import make_opponent, opponent_mover
from boardgym.envs.render import BoardRenderer
from boardgym.envs.rules import CONNECT_FOUR, GOMOKU, NO_WINNER, TICTACTOE, Board, Game, IllegalMoveError

LEARNER_SEATS = (0, 1, "random")


def check_learner_seat(learner_seat) -> int | str:
    if isinstance(learner_seat, (bool, np.bool_)) or learner_seat not in LEARNER_SEATS:
        raise ValueError(f"learner_seat must be 0, 1 or 'random', got {learner_seat!r}")
    return learner_seat


class BoardGameEnv(gym.Env):
    """
    ## Description

    A two-player k-in-a-row game seen by one player, the learner: Connect Four
    (6 rows x 7 columns, four in a row, stones fall to the lowest empty cell),
    Tic-Tac-Toe (3x3, three in a row) or Gomoku (15x15, five in a row). The
    other seat is played by an opponent inside the environment: after each of
    the learner's moves, ``step`` also plays the opponent's reply, so every
    observation is a position where the learner is to move (or the game ended).
    ``player_0`` moves first; when the learner has seat 1 the opponent's first
    move is played inside ``reset``.

    ## Spaces

    Action: ``Discrete(n_actions)``. Connect Four: the column, 0-6 from the
    left. Tic-Tac-Toe and Gomoku: the cell in reading order (row-major, top
    row first), 0-8 and 0-224.

    Observation: ``Dict({"observation": Box(0, 1, (2, rows, cols), int8),
    "action_mask": Box(0, 1, (n_actions,), int8)})``. Plane 0 holds the
    learner's stones, plane 1 the opponent's, row 0 at the top. The mask marks
    legal moves and is all zeros once the game has ended. ``info["action_mask"]``
    repeats the mask (a separate array) for libraries that read masks from
    ``info``, and ``action_masks()`` returns it as booleans (sb3-contrib's
    ``MaskablePPO`` calls it).

    ## Rewards

    From the learner's point of view, once, on the step that ends the game:
    +1 for a win, -1 for a loss (including a loss by an illegal move with
    ``illegal_move="lose"``), 0 for a draw. Every other step gives 0. A stone
    that makes k in a row wins even when it fills the board.

    ## Episode End

    The episode terminates when either side makes k in a row or the board is
    full. It is never truncated (games are at most rows x cols moves long).
    After the end, ``step`` raises until ``reset`` is called.

    ## Arguments

    * ``opponent`` (default ``"random"``): a policy object (anything with
      ``act(observation, action_mask)`` over a batch; see
      :mod:`boardgym.envs.opponents`) or a name resolved by
      :func:`boardgym.envs.opponents.make_opponent`: ``"random"`` (uniform over
      legal moves), ``"greedy"`` (win if possible, else block the opponent's
      immediate win, else random), ``"alphabeta:D"``, ``"solver"``, or a path to
      a checkpoint.
    * ``learner_seat`` (default 0): 0 to move first, 1 to move second, or
      ``"random"`` to draw the seat at every reset.
    * ``illegal_move`` (default ``"raise"``): what an illegal or malformed
      action does (a full column, an occupied cell, out of range, a float, an
      array with more than one element). ``"raise"`` raises
      :class:`~boardgym.envs.rules.IllegalMoveError` (a ``ValueError`` naming
      the move and the legal moves) and changes nothing; ``"lose"`` ends the
      episode with reward -1, for learners that cannot mask their actions.
    * ``render_mode``: ``"ansi"`` (text), ``"rgb_array"`` (an image, no display
      needed) or ``"human"`` (a pygame window; ``pip install boardgym[render]``).

    Seeding: ``reset(seed=s)`` seeds ``self.np_random``, which draws the
    learner's seat (with ``"random"``) and a seed for the opponent (through its
    ``seed`` method, when it has one). The same seed and the same actions give
    the same game.

    ## Version History

    * v0: first release.
    """

    game: Game
    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 2}

    def __init__(self, opponent="random", learner_seat: int | str = 0, illegal_move: str = "raise",
                 render_mode: str | None = None):
        self.learner_seat = check_learner_seat(learner_seat)
        self.illegal_move = check_illegal_move_mode(illegal_move)
        self.opponent = make_opponent(opponent, self.game)
        self._opponent_move = opponent_mover(self.opponent)
        self.render_mode = render_mode
        self._renderer = BoardRenderer(self.game, render_mode, title=f"boardgym {self.game.name}")
        self.observation_space = observation_space(self.game)
        self.action_space = spaces.Discrete(self.game.n_actions)
        self._board = Board(self.game)
        self._learner = 0
        self._phase = NOT_RESET
        self._winner = NO_WINNER

    @property
    def board(self) -> Board:
        """The rules' board (read it, do not play on it)."""
        return self._board

    @property
    def learner(self) -> int:
        """The learner's seat in the current episode (0 moves first)."""
        return self._learner

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"options are not used by this environment, got {options!r}")
        if seed is not None and hasattr(self.opponent, "seed"):
            self.opponent.seed(int(self.np_random.integers(2**63 - 1)))
        if self.learner_seat == "random":
            self._learner = int(self.np_random.integers(2))
        else:
            self._learner = self.learner_seat
        self._board.reset()
        self._phase = PLAYING
        self._winner = NO_WINNER
        if self._learner == 1:
            self._play_opponent()
        observation, _, _, _, info = self._transition()
        return observation, info

    def step(self, action):
        if self._phase != PLAYING:
            raise IllegalMoveError(
                f"the episode has ended (or never started): call reset() before step({action!r})"
            )
        board = self._board
        if not board.play_if_legal(action):
            move = as_move(action)
            if move is None or not board.play_if_legal(move):
                return self._illegal(action)
        if not board.terminated:
            self._play_opponent()
        return self._transition()

    def _play_opponent(self) -> None:
        board = self._board
        planes, mask = board.view(board.to_move)
        move = self._opponent_move(planes, mask)
        if not board.play_if_legal(move):
            as_int = as_move(move)
            if as_int is None or not board.play_if_legal(as_int):
                raise IllegalMoveError(
                    f"the opponent {self.opponent!r} chose {move if as_int is None else as_int!r}, "
                    f"not a legal move; legal moves: {board.legal_moves()}"
                )

    def _illegal(self, action):
        if self.illegal_move == "raise":
            raise IllegalMoveError(illegal_move_message(action, self._board.legal_moves()))
        return self._transition(winner=1 - self._learner)

    def _transition(self, winner: int | None = None):
        """(observation, reward, terminated, truncated, info) after the moves so far;
        ``winner`` ends the episode by forfeit (an illegal move under "lose")."""
        board = self._board
        planes, mask = board.view(self._learner)
        reward = 0.0
        if winner is not None or board.terminated:
            self._phase = ENDED
            self._winner = board.winner if winner is None else winner
            mask[:] = 0
            if self._winner != NO_WINNER:
                reward = 1.0 if self._winner == self._learner else -1.0
        if self.render_mode == "human":
            self.render()
        terminated = self._phase == ENDED
        return {"observation": planes, "action_mask": mask}, reward, terminated, False, {"action_mask": mask.copy()}

    def action_masks(self) -> np.ndarray:
        """bool (n_actions,): the learner's legal moves now, all False once the
        episode has ended (the method sb3-contrib's MaskablePPO looks for)."""
        if self._phase != PLAYING:
            return np.zeros(self.game.n_actions, dtype=bool)
        return self._board.legal_mask().astype(bool)

    def render(self):
        board = self._board
        status = status_text(self._phase, self._winner, board.to_move)
        return self._renderer.render(board.planes, f"{status}; the learner is {AGENTS[self._learner]}")

    def close(self) -> None:
        self._renderer.close()


class ConnectFourEnv(BoardGameEnv):
    """Connect Four against a built-in opponent; see :class:`BoardGameEnv`."""

    game = CONNECT_FOUR


class TicTacToeEnv(BoardGameEnv):
    """Tic-Tac-Toe against a built-in opponent; see :class:`BoardGameEnv`."""

    game = TICTACTOE


class GomokuEnv(BoardGameEnv):
    """Gomoku against a built-in opponent; see :class:`BoardGameEnv`."""

    game = GOMOKU
