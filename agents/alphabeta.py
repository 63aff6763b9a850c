"""``alphabeta:D``: depth-limited negamax with alpha-beta and a threat-counting heuristic.

A rung of the scripted ladder between ``greedy`` and ``solver``. It looks ``D``
plies ahead (``alphabeta:1`` sees its own wins, ``alphabeta:2`` also the
opponent's replies) and scores the positions it stops at by counting open
lines: for every line of ``k`` cells holding stones of one player only, that
player gains 100 for ``k - 1`` stones (a threat), 10 for ``k - 2`` and 1 for
fewer. A win scores far above any count, sooner wins higher. Among moves of
equal value the seeded generator picks, so a given seed always plays the same.

Works on every k-in-a-row game whose board fits in 64-bit bitboards (Connect
Four, Tic-Tac-Toe; not 15x15 Gomoku), with or without gravity, and searches in
the bitboard layout of ``State.bits``. Compiled with numba when available (see
:mod:`boardgym.agents.jit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boardgym.agents.jit import jit, popcount
from boardgym.agents.policy import check_batch, sample_legal
from boardgym.agents.scripted import ScriptedPolicy, register
from boardgym.envs import rules
from boardgym.envs.rules import Game

DEFAULT_DEPTH = 4
WIN_SCORE = 1 << 30
INFINITY = 1 << 40
THREAT_WEIGHT, NEAR_THREAT_WEIGHT, OPEN_LINE_WEIGHT = 100, 10, 1


@dataclass(frozen=True)
class SearchTables:
    """A game's rules as bitboard masks for the search kernels."""

    gravity: bool
    bottom: int
    board: int
    stride: int
    k: int
    move_masks: np.ndarray
    """int64 (n_actions,): the cells an action may fill (a column, or one cell)."""
    order: np.ndarray
    """int64: actions from the center outwards, the order the search tries them."""
    line_masks: np.ndarray
    """int64 (n_lines,): every line of k cells."""
    weights: np.ndarray
    """int64 (k + 1,): heuristic value of a line holding that many stones of one player."""

    @classmethod
    def for_game(cls, game: Game) -> "SearchTables":
        if not game.uses_bitboards:
            raise ValueError(f"alphabeta searches boards that fit in 64-bit bitboards; {game.name} "
                             f"({game.rows}x{game.cols}) does not")
        stride = game.rows + 1
        cell_bits = [col * stride + game.rows - 1 - row for row in range(game.rows) for col in range(game.cols)]
        bottom = sum(1 << (col * stride) for col in range(game.cols))
        if game.gravity:
            move_masks = [((1 << game.rows) - 1) << (col * stride) for col in range(game.cols)]
            distance = [abs(2 * col - game.cols + 1) for col in range(game.cols)]
        else:
            move_masks = [1 << bit for bit in cell_bits]
            distance = [abs(2 * (cell // game.cols) - game.rows + 1) + abs(2 * (cell % game.cols) - game.cols + 1)
                        for cell in range(game.n_cells)]
        weights = np.full(game.k + 1, OPEN_LINE_WEIGHT, dtype=np.int64)
        weights[0] = weights[game.k] = 0
        weights[game.k - 1] = THREAT_WEIGHT
        if game.k >= 3:
            weights[game.k - 2] = NEAR_THREAT_WEIGHT
        return cls(
            gravity=game.gravity, bottom=bottom, board=bottom * ((1 << game.rows) - 1), stride=stride, k=game.k,
            move_masks=np.array(move_masks, dtype=np.int64),
            order=np.array(sorted(range(len(move_masks)), key=lambda a: (distance[a], a)), dtype=np.int64),
            line_masks=np.array([sum(1 << cell_bits[cell] for cell in line) for line in game.lines.tolist()],
                                dtype=np.int64),
            weights=weights,
        )


@jit
def _has_line(bits, stride, k):
    """Whether ``bits`` hold k in a row (vertical, both diagonals, horizontal)."""
    for shift in (1, stride - 1, stride, stride + 1):
        run = bits
        for step in range(1, k):
            run &= bits >> (step * shift)
        if run:
            return True
    return False


@jit
def _evaluate(own, other, line_masks, weights):
    """Threat count from the mover's view: its open lines minus the opponent's."""
    score = 0
    for line in line_masks:
        mine = popcount(line & own)
        theirs = popcount(line & other)
        if theirs == 0:
            score += weights[mine]
        elif mine == 0:
            score -= weights[theirs]
    return score


@jit
def _candidates(occupied, gravity, bottom, board):
    """The cells the mover may fill: the lowest empty cell per column with gravity."""
    if gravity:
        return (occupied + bottom) & board
    return board & ~occupied


@jit
def _negamax(own, other, depth, alpha, beta, gravity, bottom, board, stride, k, move_masks, order,
             line_masks, weights):
    """Fail-soft negamax value of a running game for the mover ``own``, ``depth`` plies deep."""
    candidates = _candidates(own | other, gravity, bottom, board)
    if candidates == 0:
        return 0
    if depth == 0:
        return _evaluate(own, other, line_masks, weights)
    best = -INFINITY
    for action in order:
        move = candidates & move_masks[action]
        if move == 0:
            continue
        mine = own | move
        if _has_line(mine, stride, k):
            return WIN_SCORE + depth  # no move beats winning now
        value = -_negamax(other, mine, depth - 1, -beta, -max(alpha, best), gravity, bottom, board, stride, k,
                          move_masks, order, line_masks, weights)
        if value > best:
            best = value
            if best >= beta:
                break
    return best


@jit
def _move_values(own, other, depth, values, gravity, bottom, board, stride, k, move_masks, order,
                 line_masks, weights):
    """Fill ``values[action]`` with the exact search value of every legal action
    (each searched with a full window, so ties and runners-up are exact too)."""
    candidates = _candidates(own | other, gravity, bottom, board)
    # Every value below lies strictly inside (-bound, bound): a full window.
    bound = WIN_SCORE + depth
    for action in order:
        move = candidates & move_masks[action]
        if move == 0:
            continue
        mine = own | move
        if _has_line(mine, stride, k):
            values[action] = bound
        else:
            values[action] = -_negamax(other, mine, depth - 1, -bound, bound, gravity, bottom, board,
                                       stride, k, move_masks, order, line_masks, weights)


class AlphaBetaPolicy(ScriptedPolicy):
    """Depth-limited alpha-beta with a threat-counting heuristic; ties broken by
    the seed. ``act``'s ``greedy`` flag is ignored: the search always plays its best."""

    def __init__(self, game: Game | str, seed: int | None = None, depth: int = DEFAULT_DEPTH):
        super().__init__(game, seed)
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
            raise ValueError(f"depth must be a positive integer, got {depth!r}")
        self.depth = int(depth)
        self.name = f"alphabeta:{self.depth}"
        self.tables = SearchTables.for_game(self.game)

    def move_values(self, observation: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        """float (B, n_actions): exact search values of the moves (-inf where illegal)."""
        observation, action_mask = check_batch(observation, action_mask)
        game, tables = self.game, self.tables
        if observation.shape[1:] != (2, game.rows, game.cols):
            raise ValueError(f"observation must be (B, 2, {game.rows}, {game.cols}), got shape {observation.shape}")
        bits = rules.planes_to_bits(game, observation).astype(np.int64)
        values = np.full(action_mask.shape, -INFINITY, dtype=np.int64)
        for row, (own, other) in enumerate(bits.tolist()):
            _move_values(own, other, self.depth, values[row], tables.gravity, tables.bottom, tables.board,
                         tables.stride, tables.k, tables.move_masks, tables.order, tables.line_masks, tables.weights)
        return np.where(action_mask.astype(bool), values, -np.inf)

    def act(self, observation, action_mask, *, greedy: bool = True) -> np.ndarray:
        values = self.move_values(observation, action_mask)
        return sample_legal(self.rng, values == values.max(axis=1, keepdims=True))


def _make_alphabeta(game, seed=None, arg=None):
    if arg is None:
        return AlphaBetaPolicy(game, seed)
    if not arg.isdigit() or int(arg) < 1:
        raise ValueError(f"alphabeta depth must be a positive integer, as in 'alphabeta:4'; got {arg!r}")
    return AlphaBetaPolicy(game, seed, depth=int(arg))


register("alphabeta", _make_alphabeta)
