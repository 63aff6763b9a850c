"""A human-like opponent: plausible mistakes at an adjustable, self-adjusting skill.

``make_policy("humanlike:0.6", game)`` plays the way people do rather than the
way a weakened engine does. Each move it looks at the board and *may notice*:

* a win in one (noticed with probability ``min(1, 2 * skill)``, so always from
  skill 0.5 up: no one at that level misses an obvious win);
* the opponent's win in one, to block it (``min(1, 1.5 * skill)``);
* a poisoned move, one that gives the opponent a win it did not have (with
  gravity: playing under the opponent's threat) (``skill``);
* a fork, a move that makes two winning threats at once (``skill ** 2``: deep
  threats are what weaker players miss first);
* with a deeper look (``skill ** 2``), moves that lose by force or win by force
  within ``look_ahead`` plies (default 4), found by the ``alphabeta`` search
  (games that fit its bitboards: Connect Four and Tic-Tac-Toe).

What it noticed adds to a positional value (open lines through the cell,
weighted by own stones in them, scaled to [0, 1]), and the move is drawn from a
softmax of those values at temperature ``0.05 + 4 * (1 - skill) ** 2``. At skill
1 it always wins when it can and otherwise blocks; at skill 0 it notices nothing
and the temperature flattens the positional values to almost uniform play.

**Adapting to a person.** After each game call :meth:`HumanlikePolicy.observe_result`
with the outcome *from the person's side* (+1 the person won, 0 draw, -1 lost):
the skill moves by ``adapt_rate * (person_score - target_score)``, so a person
who keeps winning meets a stronger opponent and one who keeps losing a weaker
one, settling where the person wins about ``target_score`` of the points.
``boardgym play humanlike`` does this between games. The ``greedy`` flag of
``act`` is ignored: the mistakes are the point of this player.

The tactics come from one-ply look-ahead with
:func:`boardgym.envs.rules.winning_moves`, and the search only says "this loses"
or "this wins", never ranks quiet moves: ranking every move by a deep search
would make the mistakes those of a search horizon, not a person's.
"""

from __future__ import annotations

import numpy as np

from boardgym.agents.alphabeta import WIN_SCORE, AlphaBetaPolicy
from boardgym.agents.policy import check_batch, sample_legal
from boardgym.agents.scripted import ScriptedPolicy, register
from boardgym.envs.rules import Game, winning_moves

#: Value of what the player noticed, on the scale of the positional value (0..1).
WIN_VALUE = 10.0
BLOCK_VALUE = 5.0
POISON_VALUE = -5.0
FORK_VALUE = 2.0
DEEP_VALUE = 8.0
#: Boards times actions squared per chunk: the look-ahead builds A boards of A
#: moves per board, so big boards (Gomoku) go one at a time to bound memory.
CHUNK_SIZE = 1 << 16


def _check_unit(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


def _boards_after_each_action(game: Game, planes: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Planes (B, A, 2, rows, cols) after the mover plays each action, and the
    legal masks (B, A, A) there. Illegal actions leave the board as it was."""
    batch, n_actions = legal.shape
    actions = np.arange(n_actions)
    if game.gravity:
        heights = (planes[:, 0] | planes[:, 1]).sum(axis=1)
        rows = np.clip(game.rows - 1 - heights, 0, game.rows - 1)
        cells = rows * game.cols + actions[None, :]
    else:
        cells = np.broadcast_to(actions, (batch, n_actions))
    after = np.repeat(planes[:, None], n_actions, axis=1).reshape(batch, n_actions, 2, -1)
    boards, moves = np.nonzero(legal)
    after[boards, moves, 0, cells[boards, moves]] = 1
    after = after.reshape(batch, n_actions, 2, game.rows, game.cols)
    occupied = (after[:, :, 0] | after[:, :, 1]).astype(bool)
    mask_after = ~occupied[:, :, 0, :] if game.gravity else ~occupied.reshape(batch, n_actions, -1)
    return after, mask_after & legal[:, :, None]


def positional_values(game: Game, planes: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """(B, A) in [0, 1]: lines through each move's cell still open for the mover,
    each weighted by 1 + the mover's stones in it; scaled by the best legal move."""
    batch = planes.shape[0]
    flat = planes.reshape(batch, 2, -1).astype(np.int64)
    sentinel = np.zeros((batch, 2, 1), dtype=np.int64)
    stones = np.concatenate([flat, sentinel], axis=2)[:, :, np.concatenate(
        [game.lines, np.full((1, game.k), game.n_cells)])].sum(axis=3)  # (B, 2, lines+1)
    open_weight = np.where(stones[:, 1] == 0, 1 + stones[:, 0], 0)
    open_weight[:, -1] = 0  # the padding line
    if game.gravity:
        heights = (planes[:, 0] | planes[:, 1]).sum(axis=1)
        cells = np.clip(game.rows - 1 - heights, 0, game.rows - 1) * game.cols + np.arange(game.cols)
    else:
        cells = np.broadcast_to(np.arange(game.n_cells), (batch, game.n_cells))
    through = game.lines_through[cells]  # (B, A, L)
    value = open_weight[np.arange(batch)[:, None, None], through].sum(axis=2).astype(np.float64)
    value = np.where(legal, value, 0.0)
    best = value.max(axis=1, keepdims=True)
    return value / np.where(best > 0, best, 1.0)


class HumanlikePolicy(ScriptedPolicy):
    """Plays like a person of ``skill`` in [0, 1]; adapts to its opponent with
    :meth:`observe_result` (``adapt_rate`` 0 keeps the skill fixed).
    ``look_ahead`` is the depth in plies of the deeper look (0: never looks deeper)."""

    name = "humanlike"

    def __init__(self, game: Game | str, seed: int | None = None, skill: float = 0.5,
                 adapt_rate: float = 0.1, target_score: float = 0.5, look_ahead: int = 4):
        super().__init__(game, seed)
        self.skill = _check_unit("skill", skill)
        self.adapt_rate = _check_unit("adapt_rate", adapt_rate)
        self.target_score = _check_unit("target_score", target_score)
        if isinstance(look_ahead, bool) or not isinstance(look_ahead, int) or look_ahead == 1 or look_ahead < 0:
            raise ValueError(f"look_ahead must be 0 (off) or at least 2 plies, got {look_ahead!r}")
        # Searches the opponent's replies, hence one ply less than the look-ahead.
        self._reply_search = (AlphaBetaPolicy(self.game, depth=look_ahead - 1)
                              if look_ahead and self.game.uses_bitboards else None)

    @property
    def temperature(self) -> float:
        return 0.05 + 4.0 * (1.0 - self.skill) ** 2

    def notice_probabilities(self) -> dict[str, float]:
        """Chance of noticing each kind of tactic at the current skill."""
        s = self.skill
        return {"win": min(1.0, 2 * s), "block": min(1.0, 1.5 * s), "poison": s, "fork": s * s, "deep": s * s}

    def move_values(self, observation: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        """(B, A) values of the moves as this player perceives them this turn
        (draws from the generator for what it notices); -inf where illegal."""
        planes = np.asarray(observation).astype(np.int8)
        legal = np.asarray(action_mask).astype(bool)
        batch, n_actions = legal.shape
        wins = winning_moves(self.game, planes, legal)
        threats = winning_moves(self.game, planes[:, ::-1], legal)
        after, mask_after = _boards_after_each_action(self.game, planes, legal)
        flat_after = after.reshape(batch * n_actions, 2, self.game.rows, self.game.cols)
        flat_mask = mask_after.reshape(batch * n_actions, n_actions)
        their_wins_after = winning_moves(self.game, flat_after[:, ::-1], flat_mask).reshape(batch, n_actions, -1)
        my_wins_after = winning_moves(self.game, flat_after, flat_mask).reshape(batch, n_actions, -1)
        # A win the opponent gets from my move: in a column (gravity) the cell above
        # mine is new even where the column was a threat before.
        new_for_them = ~threats[:, None, :] | np.eye(n_actions, dtype=bool)[None]
        poisoned = (their_wins_after & new_for_them).any(axis=2) & ~wins
        forks = (my_wins_after.sum(axis=2) >= 2) & ~their_wins_after.any(axis=2)

        noticed = {kind: self.rng.random((batch, 1)) < p for kind, p in self.notice_probabilities().items()}
        values = positional_values(self.game, planes, legal)
        values = values + WIN_VALUE * (wins & noticed["win"]) + BLOCK_VALUE * (threats & noticed["block"])
        values = values + POISON_VALUE * (poisoned & noticed["poison"]) + FORK_VALUE * (forks & noticed["fork"])
        if self._reply_search is not None and noticed["deep"].any():
            looked = np.flatnonzero(noticed["deep"][:, 0])
            forced = self.forced_results(after[looked], mask_after[looked], legal[looked] & ~wins[looked])
            values[looked] += DEEP_VALUE * forced
        return np.where(legal, values, -np.inf)

    def forced_results(self, after: np.ndarray, mask_after: np.ndarray, moves: np.ndarray) -> np.ndarray:
        """(B, A): +1 where a move in ``moves`` wins by force within ``look_ahead`` plies,
        -1 where it loses by force, else 0. ``after``/``mask_after`` are the boards
        after each move (from :func:`_boards_after_each_action`)."""
        result = np.zeros(moves.shape)
        boards, actions = np.nonzero(moves & mask_after.any(axis=2))  # the game goes on
        if boards.size:
            # The best reply's search value is exact (other moves get bounds only).
            replies = self._reply_search.move_values(after[boards, actions][:, ::-1], mask_after[boards, actions])
            best_reply = replies.max(axis=1)
            result[boards, actions] = np.where(best_reply >= WIN_SCORE // 2, -1.0,
                                               np.where(best_reply <= -(WIN_SCORE // 2), 1.0, 0.0))
        return result

    def act(self, observation, action_mask, *, greedy: bool = True) -> np.ndarray:
        observation, action_mask = check_batch(observation, action_mask)
        rows = max(1, CHUNK_SIZE // action_mask.shape[1] ** 2)
        values = np.concatenate([self.move_values(observation[start:start + rows], action_mask[start:start + rows])
                                 for start in range(0, len(action_mask), rows)])
        weights = np.exp((values - values.max(axis=1, keepdims=True)) / self.temperature)
        return sample_legal(self.rng, action_mask, np.where(np.isfinite(values), weights, 0.0))

    def observe_result(self, outcome_for_person: float) -> float:
        """Adapt to a finished game (+1 the person won, 0 draw, -1 the person lost); return the new skill."""
        if outcome_for_person not in (-1, 0, 1):
            raise ValueError(f"outcome_for_person must be +1, 0 or -1, got {outcome_for_person!r}")
        person_score = (outcome_for_person + 1) / 2
        self.skill = float(np.clip(self.skill + self.adapt_rate * (person_score - self.target_score), 0.0, 1.0))
        return self.skill

    def __repr__(self) -> str:
        return f"HumanlikePolicy(game={self.game.name!r}, skill={self.skill:.2f})"


def _factory(game, seed=None, arg=None):
    """``humanlike`` (skill 0.5) or ``humanlike:SKILL`` with SKILL in [0, 1]."""
    if arg is None:
        return HumanlikePolicy(game, seed)
    try:
        skill = float(arg)
    except ValueError:
        raise ValueError(f"humanlike skill must be a number in [0, 1], got {arg!r}") from None
    return HumanlikePolicy(game, seed, skill=skill)


register("humanlike", _factory)
