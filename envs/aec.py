"""The PettingZoo AEC environment shared by every k-in-a-row game.

The per-game modules (:mod:`boardgym.envs.connect_four_v0`,
:mod:`boardgym.envs.tictactoe_v0`, :mod:`boardgym.envs.gomoku_v0`) only pick a
:class:`~boardgym.envs.rules.Game`; everything else lives here, once.

Illegal-move handling and call-order checks are built in rather than added with
PettingZoo's wrapper stack (``TerminateIllegalWrapper``,
``AssertOutOfBoundsWrapper``, ``OrderEnforcingWrapper``): each wrapper adds a
Python call layer to every ``last()`` and ``step()``, and this env is meant to
be fast enough for self-play in pure Python. It still passes
``pettingzoo.test.api_test`` unwrapped.
"""

from __future__ import annotations

from gymnasium import spaces
from pettingzoo import AECEnv

from boardgym.envs.core import (AGENTS, ENDED, NOT_RESET, PLAYING, as_move, check_illegal_move_mode, illegal_move_message,
                                observation_space, status_text)
from boardgym.envs.render import BoardRenderer
from boardgym.envs.rules import NO_WINNER, Board, Game, IllegalMoveError


class BoardGameAEC(AECEnv):
    """Two players take turns on one board of :attr:`game` (set by subclasses).

    * Agents ``player_0`` (moves first) and ``player_1``.
    * ``observe(agent)`` is ``{"observation": int8 (2, rows, cols), "action_mask":
      int8 (n_actions,)}``: plane 0 holds the observer's own stones, plane 1 the
      opponent's; the mask marks legal moves when it is the observer's turn and
      is all zeros otherwise (and always once the game has ended).
    * Rewards: +1 for a win, -1 for a loss, 0 for a draw, given once when the
      game ends; the two rewards sum to 0.
    * End of a game: both agents are terminated at once. Each then gets one
      final ``last()`` (terminated=True, its own reward, an all-zero mask) and
      must call ``step(None)``; after both have, ``agents`` is empty.
    * A move that is not legal (full column, occupied cell, out of range, not an
      integer, None while the game runs, any move after it ended) raises
      :class:`~boardgym.envs.rules.IllegalMoveError` (a ``ValueError``) naming
      the move and the legal ones, and changes nothing. With
      ``illegal_move="lose"`` a bad move while the game runs ends it instead:
      the mover gets -1 and the other player +1. Moves after the end always raise.
    * ``reset(seed=...)`` is accepted for API compatibility: the game itself
      draws no random numbers.
    * Version history: v0, first release.
    """

    game: Game
    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "name": "board_game_v0",
                "is_parallelizable": False, "render_fps": 2}

    def __init__(self, render_mode: str | None = None, illegal_move: str = "raise"):
        super().__init__()
        self.illegal_move = check_illegal_move_mode(illegal_move)
        self._renderer = BoardRenderer(self.game, render_mode, title=self.metadata["name"])
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents = []
        # One space object per agent, so that each can be seeded on its own.
        self.observation_spaces = {agent: observation_space(self.game) for agent in AGENTS}
        self.action_spaces = {agent: spaces.Discrete(self.game.n_actions) for agent in AGENTS}
        self._seat = {agent: seat for seat, agent in enumerate(AGENTS)}
        self._board = Board(self.game)
        self._phase = NOT_RESET
        self._winner = NO_WINNER

    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    @property
    def board(self) -> Board:
        """The rules' board (read it, do not play on it)."""
        return self._board

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self._board.reset()
        self._phase = PLAYING
        self._winner = NO_WINNER
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        self._cumulative_rewards = dict.fromkeys(AGENTS, 0.0)
        self.terminations = dict.fromkeys(AGENTS, False)
        self.truncations = dict.fromkeys(AGENTS, False)
        self.infos = {agent: {} for agent in AGENTS}
        self.agent_selection = AGENTS[0]
        if self.render_mode == "human":
            self.render()

    def observe(self, agent: str) -> dict:
        # view() zeroes the mask once the board's game is over; a game lost by an
        # illegal move (illegal_move="lose") ends while the board still runs.
        planes, mask = self._board.view(self._seat[agent])
        if self._phase != PLAYING:
            mask[:] = 0
        return {"observation": planes, "action_mask": mask}

    def last(self, observe: bool = True):
        # Same contract as AECEnv.last, without its assert and extra lookups.
        agent = self.agent_selection
        return (self.observe(agent) if observe else None, self._cumulative_rewards[agent],
                self.terminations[agent], self.truncations[agent], self.infos[agent])

    def agent_iter(self, max_iter: int = 2**63):
        """Yield ``agent_selection`` until every agent is done (as AECEnv's, as a generator)."""
        for _ in range(max_iter):
            if not self.agents:
                return
            yield self.agent_selection

    def step(self, action) -> None:
        if self._phase != PLAYING:
            self._step_after_end(action)
            return
        board = self._board
        if not board.play_if_legal(action):
            move = as_move(action)
            if move is None or not board.play_if_legal(move):
                self._illegal(action)
                return
        if board.terminated:
            self._end(board.winner)
        else:
            self.agent_selection = AGENTS[board.to_move]
        if self.render_mode == "human":
            self.render()

    def _illegal(self, action) -> None:
        mover = self.agent_selection
        if self.illegal_move == "raise":
            raise IllegalMoveError(f"{mover}: {illegal_move_message(action, self._board.legal_moves())}")
        self._end(1 - self._seat[mover])

    def _end(self, winner: int) -> None:
        """Finish the game: rewards once, both agents terminated, the other agent up next."""
        self._phase = ENDED
        self._winner = winner
        if winner == NO_WINNER:
            self.rewards = dict.fromkeys(AGENTS, 0.0)
        else:
            self.rewards = {AGENTS[winner]: 1.0, AGENTS[1 - winner]: -1.0}
        self._cumulative_rewards = dict(self.rewards)
        self.terminations = dict.fromkeys(AGENTS, True)
        self.agent_selection = AGENTS[1 - self._seat[self.agent_selection]]

    def _step_after_end(self, action) -> None:
        if self._phase == NOT_RESET:
            raise RuntimeError("call reset() before step()")
        if not self.agents:
            raise IllegalMoveError(f"the game is over and both agents have stepped None; call reset() (got {action!r})")
        if action is not None:
            raise IllegalMoveError(
                f"the game has ended; {self.agent_selection} must call step(None), not step({action!r})"
            )
        self._was_dead_step(None)

    def render(self):
        board = self._board
        return self._renderer.render(board.planes, status_text(self._phase, self._winner, board.to_move))

    def close(self) -> None:
        self._renderer.close()
