"""The batched single-agent environment: ``gym.make_vec("boardgym/ConnectFour-v0",
num_envs=4096)`` runs the batched rules engine directly, with no per-board
Python object and no Python loop over boards."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from boardgym.envs import rules
from boardgym.envs.core import check_illegal_move_mode, checked_moves, observation_space
from boardgym.envs.gym_env import check_learner_seat
from boardgym.envs.opponents import make_opponent
from boardgym.envs.rules import CONNECT_FOUR, GOMOKU, NO_WINNER, TICTACTOE, Game, IllegalMoveError


class BoardGameVectorEnv(VectorEnv):
    """``num_envs`` games of :attr:`game`, each a learner against the opponent.

    Everything :class:`boardgym.envs.gym_env.BoardGameEnv` documents holds per
    sub-environment (spaces, rewards, the opponent replying inside ``step``,
    ``learner_seat``, ``illegal_move``), batched:

    * observations ``{"observation": int8 (num_envs, 2, rows, cols),
      "action_mask": int8 (num_envs, n_actions)}``, plane 0 = the learner's
      stones; ``info["action_mask"]`` repeats the mask;
    * rewards float32 (num_envs,), terminations and truncations bool
      (num_envs,); truncations are always False;
    * actions: int array (num_envs,).

    Autoreset: ``AutoresetMode.NEXT_STEP`` (Gymnasium 1.x's default, in
    ``metadata["autoreset_mode"]``). When sub-environment ``i`` terminates at
    step ``t``, step ``t`` returns its final observation (mask all zeros), its
    reward and ``terminated[i] = True``. At step ``t + 1`` its action is ignored
    (any value, even an illegal one), the game is reset (a new seat is drawn
    with ``learner_seat="random"``, and the opponent opens when it has seat 0),
    and step ``t + 1`` returns the first observation of the new game with
    reward 0 and ``terminated[i] = False``.

    Illegal moves: with ``illegal_move="raise"``, any illegal action among the
    games being played raises :class:`~boardgym.envs.rules.IllegalMoveError`
    naming the first such sub-environment, its move and its legal moves, and no
    game moves. With ``"lose"`` each such game ends, reward -1. Actions of the
    wrong shape or a non-integer dtype always raise a ValueError (a usage
    error, not an illegal move) and change nothing.

    Seeding: ``reset(seed=s)`` seeds ``self.np_random``, which draws the seats
    and a seed for the opponent (through its ``seed`` method when it has one).

    Speed: one ``step`` is one batched learner move, one batched opponent move
    (a single ``opponent.act`` call on the boards where it is to move) and the
    autoresets; there is no per-board Python work.
    """

    game: Game
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int, opponent="random", learner_seat: int | str = 0,
                 illegal_move: str = "raise", render_mode: str | None = None):
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        if render_mode is not None:
            raise ValueError(f"the vector environment does not render; render_mode must be None, got {render_mode!r}")
        self.num_envs = int(num_envs)
        self.learner_seat = check_learner_seat(learner_seat)
        self.illegal_move = check_illegal_move_mode(illegal_move)
        self.opponent = make_opponent(opponent, self.game)
        self.render_mode = None
        self.single_observation_space = observation_space(self.game)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.single_action_space = spaces.Discrete(self.game.n_actions)
        self.action_space = spaces.MultiDiscrete(np.full(self.num_envs, self.game.n_actions))
        self.state = rules.initial(self.game, self.num_envs)
        self.learner = np.zeros(self.num_envs, dtype=np.int8)
        self._needs_reset = np.ones(self.num_envs, dtype=bool)
        self._all_boards = np.arange(self.num_envs)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Reset every game, or those in ``options["reset_mask"]`` (bool, num_envs)."""
        super().reset(seed=seed)
        options = dict(options or {})
        reset_mask = np.ones(self.num_envs, dtype=bool)
        if "reset_mask" in options:
            reset_mask = np.asarray(options.pop("reset_mask"))
            if reset_mask.shape != (self.num_envs,) or reset_mask.dtype != bool:
                raise ValueError(f"options['reset_mask'] must be bool ({self.num_envs},), got {reset_mask.dtype} {reset_mask.shape}")
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; the only option is 'reset_mask'")
        if seed is not None and hasattr(self.opponent, "seed"):
            self.opponent.seed(int(self.np_random.integers(2**63 - 1)))
        self._reset_games(reset_mask)
        self._needs_reset &= ~reset_mask
        self._play_opponent(reset_mask & (self.learner == 1))
        observation = self._observation()
        return observation, {"action_mask": observation["action_mask"].copy()}

    def step(self, actions):
        actions = self._check_shape(actions)
        state = self.state
        resetting = self._needs_reset
        moved = self._play_learner(actions, ~resetting)
        self._reset_games(resetting)
        self._play_opponent((moved & ~state.terminated) | (resetting & (self.learner == 1)))
        terminated = state.terminated.copy()
        won = state.winner == self.learner
        lost = (state.winner != NO_WINNER) & ~won
        rewards = np.where(terminated, won.astype(np.float32) - lost.astype(np.float32), np.float32(0))
        self._needs_reset = terminated.copy()
        observation = self._observation()
        truncated = np.zeros(self.num_envs, dtype=bool)
        return observation, rewards, terminated, truncated, {"action_mask": observation["action_mask"].copy()}

    def _play_learner(self, actions: np.ndarray, playing: np.ndarray) -> np.ndarray:
        """Play the learner's moves on the ``playing`` boards; return where a move was made.
        Illegal moves raise before anything changes, or lose their game ("lose")."""
        state = self.state
        legal = rules.legal_mask(self.game, state)
        in_range = (actions >= 0) & (actions < self.game.n_actions)
        chosen_legal = legal[self._all_boards, np.where(in_range, actions, 0)] == 1
        illegal = playing & ~(in_range & chosen_legal)
        if illegal.any() and self.illegal_move == "raise":
            first = int(np.flatnonzero(illegal)[0])
            raise IllegalMoveError(
                f"sub-environment {first}: move {int(actions[first])} is not legal; "
                f"legal moves: {np.flatnonzero(legal[first]).tolist()}"
            )
        moving = playing & ~illegal
        rules.step_unchecked(self.game, state, np.where(moving, actions, 0), moving)
        if illegal.any():  # illegal_move="lose": the opponent wins without a move
            state.winner[illegal] = 1 - self.learner[illegal]
            state.terminated[illegal] = True
        return moving

    def _check_shape(self, actions) -> np.ndarray:
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise ValueError(f"expected actions of shape ({self.num_envs},), got shape {actions.shape}")
        if not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"actions must be integers, got dtype {actions.dtype}")
        return actions

    def _reset_games(self, which: np.ndarray) -> None:
        if not which.any():
            return
        rules.reset_boards(self.game, self.state, which)
        if self.learner_seat == "random":
            self.learner[which] = self.np_random.integers(0, 2, size=int(which.sum()), dtype=np.int8)
        else:
            self.learner[which] = self.learner_seat

    def _play_opponent(self, boards_mask: np.ndarray) -> None:
        """One opponent move, in a single batched ``act`` call, on the boards in ``boards_mask``."""
        boards = np.flatnonzero(boards_mask)
        if boards.size == 0:
            return
        # Whole-batch observe and mask, then the rows: cheaper than taking a
        # sub-state when most boards reply, as they do.
        observation = np.take(rules.observe(self.game, self.state), boards, axis=0)
        mask = np.take(rules.legal_mask(self.game, self.state), boards, axis=0)
        chosen = checked_moves(self.opponent, self.opponent.act(observation, mask), mask, "sub-environment", boards,
                               role="the opponent ")
        actions = np.zeros(self.num_envs, dtype=np.intp)
        actions[boards] = chosen
        rules.step_unchecked(self.game, self.state, actions, boards_mask)

    def _observation(self) -> dict:
        return {"observation": rules.observe_as(self.game, self.state, self.learner),
                "action_mask": rules.legal_mask(self.game, self.state)}


class ConnectFourVectorEnv(BoardGameVectorEnv):
    """Batched Connect Four against a built-in opponent; see :class:`BoardGameVectorEnv`."""

    game = CONNECT_FOUR


class TicTacToeVectorEnv(BoardGameVectorEnv):
    """Batched Tic-Tac-Toe against a built-in opponent; see :class:`BoardGameVectorEnv`."""

    game = TICTACTOE


class GomokuVectorEnv(BoardGameVectorEnv):
    """Batched Gomoku against a built-in opponent; see :class:`BoardGameVectorEnv`."""

    game = GOMOKU
