"""Connect Four solved exactly, and the measure of playing strength built on it.

Why ``agents/`` and not ``envs/``: the solver is a player (the ``solver`` rung
of the ladder) and the yardstick that strength is measured with
(:func:`optimal_move_rate`); it reads positions through ``envs.rules`` (codec,
replay, bitboard layout) like every agent, and keeps the compiled search out of
the rules layer, which stays plain numpy.

Scores follow Pascal Pons' convention (``shared/data/pons_connect4/README.md``):
for the side to move, ``22 - k`` when it wins with its k-th stone, 0 for a draw,
``k - 22`` when the opponent wins with its k-th stone.

The search follows the techniques of Pons' tutorial "Solving Connect 4"
(blog.gamesolver.org, parts 3-12): negamax with alpha-beta; bitboards (the
layout of ``State.bits``: column-major, bottom-up, one guard bit per column);
moves that let the opponent win next never explored, a single opponent threat
forcing the block and two threats losing at once; moves ordered by how many
winning cells they create, center columns first on ties; a transposition table
of upper and lower bounds keyed by ``own + mask``, 32 bits of the key stored in a
table of prime size (with the index the key is then known exactly: Chinese
remainder theorem); and the root score found by null-window searches that
narrow ``[low, high]`` (iterative deepening over the score). There is no
opening book, so positions with very few stones take long (see
``benchmarks/bench_solver.py``).

Compiled with numba when available (see :mod:`boardgym.agents.jit`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from boardgym.agents.jit import jit, popcount
from boardgym.agents.policy import check_batch, sample_legal
from boardgym.agents.scripted import ScriptedPolicy, make_policy, register
from boardgym.envs import rules
from boardgym.envs.core import checked_moves
from boardgym.envs.rules import CONNECT_FOUR, Game, get_game

WIDTH, HEIGHT = CONNECT_FOUR.cols, CONNECT_FOUR.rows
STRIDE = HEIGHT + 1
N_CELLS = WIDTH * HEIGHT
BOTTOM = sum(1 << (col * STRIDE) for col in range(WIDTH))
BOARD = BOTTOM * ((1 << HEIGHT) - 1)
COLUMN_MASKS = tuple(((1 << HEIGHT) - 1) << (col * STRIDE) for col in range(WIDTH))
#: Columns from the center outwards: the better moves are usually central.
COLUMN_ORDER = tuple(sorted(range(WIDTH), key=lambda col: (abs(2 * col - (WIDTH - 1)), col)))

#: Extreme scores once a game is under way: the quickest possible win is with a 4th stone.
MIN_SCORE = -(N_CELLS // 2) + 3
MAX_SCORE = (N_CELLS + 1) // 2 - 3
#: Stored bounds: 0 = empty slot, 1..SPAN upper bounds, SPAN+1..2*SPAN lower bounds.
BOUND_SPAN = MAX_SCORE - MIN_SCORE + 1
#: The smallest prime above 2**23: odd and above 2**(49 - 32), so a slot index
#: plus the 32 stored key bits identify a 49-bit key exactly.
TABLE_SIZE = 8388617
KEY_BITS = 0xFFFFFFFF


# ---------------------------------------------------------------------------
# Search kernels (compiled by numba when available)
# ---------------------------------------------------------------------------


@jit
def _winning_cells(own, mask):
    """Empty cells, playable now or not, where ``own`` would complete four."""
    # Vertical: three own stones right below.
    cells = (own << 1) & (own << 2) & (own << 3)
    for shift in (STRIDE, STRIDE - 1, STRIDE + 1):  # horizontal and both diagonals
        pair = (own << shift) & (own << (2 * shift))
        cells |= pair & (own << (3 * shift))
        cells |= pair & (own >> shift)
        pair = (own >> shift) & (own >> (2 * shift))
        cells |= pair & (own << shift)
        cells |= pair & (own >> (3 * shift))
    return cells & (BOARD ^ mask)


@jit
def _probe(own, mask, keys, bounds):
    """The stored bound of a position: (kind, value), kind 1 upper, 2 lower, 0 none."""
    key = own + mask
    slot = key % TABLE_SIZE
    stored = int(bounds[slot])
    if stored == 0 or keys[slot] != (key & KEY_BITS):
        return 0, 0
    if stored > BOUND_SPAN:
        return 2, stored - BOUND_SPAN + MIN_SCORE - 1
    return 1, stored + MIN_SCORE - 1


@jit
def _store(own, mask, keys, bounds, value, is_lower):
    key = own + mask
    slot = key % TABLE_SIZE
    keys[slot] = key & KEY_BITS
    bounds[slot] = value - MIN_SCORE + 1 + (BOUND_SPAN if is_lower else 0)


@jit
def _order_moves(own, mask, candidates, stones, moves, move_scores):
    """Fill row ``stones`` of ``moves`` with the candidate moves, best last:
    ascending by the number of winning cells they create, ties put center last."""
    count = 0
    for i in range(WIDTH - 1, -1, -1):
        move = candidates & COLUMN_MASKS[COLUMN_ORDER[i]]
        if move == 0:
            continue
        score = popcount(_winning_cells(own | move, mask | move))
        slot = count
        while slot > 0 and move_scores[stones, slot - 1] > score:
            moves[stones, slot] = moves[stones, slot - 1]
            move_scores[stones, slot] = move_scores[stones, slot - 1]
            slot -= 1
        moves[stones, slot] = move
        move_scores[stones, slot] = score
        count += 1
    return count


@jit
def _negamax(own, mask, stones, alpha, beta, keys, bounds, moves, move_scores, counters):
    """Score of a position whose mover cannot win at once, within ``(alpha, beta)``:
    exact inside the window, else a bound on the failing side of it."""
    counters[0] += 1
    playable = (mask + BOTTOM) & BOARD
    threats = _winning_cells(own ^ mask, mask)
    forced = playable & threats
    if forced:
        if forced & (forced - 1):
            return -((N_CELLS - stones) // 2)  # two threats: the opponent wins next
        playable = forced
    candidates = playable & ~(threats >> 1)  # never fill the cell under a threat
    if candidates == 0:
        return -((N_CELLS - stones) // 2)
    if stones >= N_CELLS - 2:
        return 0
    low = -((N_CELLS - 2 - stones) // 2)
    high = (N_CELLS - 1 - stones) // 2
    kind, bound = _probe(own, mask, keys, bounds)
    if kind == 2 and bound > low:
        low = bound
    elif kind == 1 and bound < high:
        high = bound
    if alpha < low:
        alpha = low
        if alpha >= beta:
            return alpha
    if beta > high:
        beta = high
        if alpha >= beta:
            return beta
    count = _order_moves(own, mask, candidates, stones, moves, move_scores)
    for slot in range(count - 1, -1, -1):
        move = int(moves[stones, slot])
        score = -_negamax(own ^ mask, mask | move, stones + 1, -beta, -alpha,
                          keys, bounds, moves, move_scores, counters)
        if score >= beta:
            _store(own, mask, keys, bounds, score, True)
            return score
        if score > alpha:
            alpha = score
    _store(own, mask, keys, bounds, alpha, False)
    return alpha


@jit
def _solve(own, mask, stones, weak, keys, bounds, moves, move_scores, counters):
    """Exact score (``weak``: its sign) by null-window searches narrowing [low, high]."""
    if _winning_cells(own, mask) & (mask + BOTTOM) & BOARD:
        return 1 if weak else (N_CELLS + 1 - stones) // 2
    low = -1 if weak else -((N_CELLS - stones) // 2)
    high = 1 if weak else (N_CELLS + 1 - stones) // 2
    while low < high:
        probe = low + (high - low) // 2
        # Probe near zero first: most positions are decided early and
        # narrow windows around small scores are cheap.
        if probe <= 0 and low // 2 < probe:
            probe = low // 2
        elif probe >= 0 and high // 2 > probe:
            probe = high // 2
        score = _negamax(own, mask, stones, probe, probe + 1, keys, bounds, moves, move_scores, counters)
        if score <= probe:
            high = score
        else:
            low = score
    if weak:
        return max(-1, min(1, low))
    return low


@jit
def _replay(columns):
    """(own, mask, running): the bitboards after playing 0-based ``columns`` from
    the empty board; ``running`` is False if a column was full, a move came
    after the game ended or the last move ended it. The rules engine stays the
    reference: tests compare the two on every test-set line."""
    own = 0
    mask = 0
    for ply in range(len(columns)):
        column = int(columns[ply])
        if mask & (1 << (HEIGHT - 1 + column * STRIDE)):
            return own, mask, False
        move = (mask + (1 << (column * STRIDE))) & COLUMN_MASKS[column]
        if _winning_cells(own, mask) & move:
            return own, mask, False  # this move wins: the game ends here
        own, mask = own ^ mask, mask | move
    return own, mask, len(columns) < N_CELLS


# ---------------------------------------------------------------------------
# Python API
# ---------------------------------------------------------------------------


def require_connect_four(game: Game | str) -> Game:
    """``game`` if it is Connect Four (6x7, four in a row, gravity), else a ValueError."""
    game = get_game(game)
    if (game.rows, game.cols, game.k, game.gravity) != (HEIGHT, WIDTH, 4, True):
        raise ValueError(
            f"the solver only plays Connect Four (6 rows x 7 columns, four in a row, gravity); "
            f"got {game.name!r} ({game.rows}x{game.cols}, k={game.k}, gravity={game.gravity})"
        )
    return game


@dataclass(frozen=True)
class Position:
    """A running Connect Four position as bitboards: the mover's stones, all stones."""

    own: int
    mask: int
    stones: int

    @classmethod
    def parse(cls, position: str | Sequence[int]) -> "Position":
        """From a move string (1-based columns, ``"4453"``) or a list of 0-based
        actions; raises ValueError (IllegalMoveError) naming what is wrong."""
        if isinstance(position, (bytes, bytearray)) or not isinstance(position, (str, Sequence, np.ndarray)):
            raise ValueError(f"a position is a move string such as '4453' or a list of columns, got {position!r}")
        moves = rules.decode_moves(CONNECT_FOUR, position) if isinstance(position, str) else list(position)
        if all(isinstance(m, (int, np.integer)) and not isinstance(m, bool) and 0 <= m < WIDTH for m in moves):
            own, mask, running = _replay(np.array(moves, dtype=np.int64))
            if running:
                return cls(int(own), int(mask), len(moves))
        # Something is wrong: the rules engine names the illegal move, else the game is over.
        board = rules.board_from_moves(CONNECT_FOUR, moves)
        outcome = "a draw (full board)" if board.winner < 0 else f"won by player {board.winner}"
        raise ValueError(f"position {rules.encode_moves(CONNECT_FOUR, moves)!r} is over ({outcome}); "
                         f"there is nothing to solve")

    def is_full(self, column: int) -> bool:
        return bool(self.mask & (1 << (HEIGHT - 1 + column * STRIDE)))

    def move_bit(self, column: int) -> int:
        return (self.mask + (1 << (column * STRIDE))) & COLUMN_MASKS[column]

    def wins_with(self, column: int) -> bool:
        """Whether playing ``column`` (not full) completes four for the mover."""
        return bool(_winning_cells(self.own, self.mask) & self.move_bit(column))

    def play(self, column: int) -> "Position":
        """The position after the mover plays ``column`` (not full, not winning)."""
        return Position(self.own ^ self.mask, self.mask | self.move_bit(column), self.stones + 1)


class Solver:
    """Exact Connect Four scores. The transposition table is kept between calls:
    its entries bound true scores whatever search stored them, so reuse only
    saves work (``reset()`` empties it, for benchmarks that start cold)."""

    def __init__(self):
        self.keys = np.zeros(TABLE_SIZE, dtype=np.uint32)
        self.bounds = np.zeros(TABLE_SIZE, dtype=np.uint8)
        # Per-depth scratch rows for move ordering (one row per stone count).
        self._moves = np.zeros((N_CELLS + 1, WIDTH), dtype=np.int64)
        self._move_scores = np.zeros((N_CELLS + 1, WIDTH), dtype=np.int64)
        self._counters = np.zeros(1, dtype=np.int64)

    @property
    def nodes(self) -> int:
        """Positions explored since the last ``reset()``."""
        return int(self._counters[0])

    def reset(self) -> None:
        """Empty the transposition table and the node counter."""
        self.keys.fill(0)
        self.bounds.fill(0)
        self._counters[0] = 0

    def solve(self, position: str | Sequence[int] | Position, *, weak: bool = False) -> int:
        """The score of ``position`` for the side to move (``weak``: -1, 0 or 1)."""
        position = position if isinstance(position, Position) else Position.parse(position)
        return int(_solve(position.own, position.mask, position.stones, bool(weak), self.keys, self.bounds,
                          self._moves, self._move_scores, self._counters))

    def move_value(self, position: Position, column: int, *, weak: bool = False) -> int | None:
        """The mover's score after playing ``column``; None when it is full."""
        if position.is_full(column):
            return None
        if position.wins_with(column):
            return 1 if weak else (N_CELLS + 1 - position.stones) // 2
        return -self.solve(position.play(column), weak=weak)

    def analyse(self, position: str | Sequence[int] | Position, *, weak: bool = False) -> list[int | None]:
        """Per column (0-based), the mover's score after playing it; None for full columns."""
        position = position if isinstance(position, Position) else Position.parse(position)
        return [self.move_value(position, column, weak=weak) for column in range(WIDTH)]


_default_solver: Solver | None = None


def default_solver() -> Solver:
    """The solver shared by the module functions and policies (one 40 MB table)."""
    global _default_solver
    if _default_solver is None:
        _default_solver = Solver()
    return _default_solver


def solve(position: str | Sequence[int], *, weak: bool = False) -> int:
    """Score of a position (move string ``"4453"`` or 0-based actions) for the side to move."""
    return default_solver().solve(position, weak=weak)


def analyse(position: str | Sequence[int], *, weak: bool = False) -> list[int | None]:
    """Score after each move, per 0-based column; None for full columns."""
    return default_solver().analyse(position, weak=weak)


# ---------------------------------------------------------------------------
# The solver as a player
# ---------------------------------------------------------------------------


#: Fewest stones for which the solver policy agrees to move (there is no opening book).
MIN_STONES = 8


class SolverPolicy(ScriptedPolicy):
    """Perfect play: a move of the best score (``weak``: of the best outcome,
    win/draw/loss), ties broken by the seeded generator."""

    def __init__(self, game: Game | str = CONNECT_FOUR, seed: int | None = None, *, weak: bool = False,
                 solver: Solver | None = None):
        super().__init__(require_connect_four(game), seed)
        self.weak = bool(weak)
        self.name = "solver:weak" if self.weak else "solver"
        self.solver = solver if solver is not None else default_solver()

    def move_values(self, observation: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        """float (B, 7): the mover's score after each move, -inf where the mask forbids it."""
        observation, action_mask = check_batch(observation, action_mask)
        if observation.shape[1:] != (2, HEIGHT, WIDTH):
            raise ValueError(f"observation must be (B, 2, {HEIGHT}, {WIDTH}), got shape {observation.shape}")
        bits = rules.planes_to_bits(self.game, observation).astype(np.int64)
        values = np.full(action_mask.shape, -np.inf)
        for row, (own, other) in enumerate(bits.tolist()):
            position = Position(own, own | other, popcount(own | other))
            for column in np.flatnonzero(action_mask[row]):
                values[row, column] = self.solver.move_value(position, int(column), weak=self.weak)
        return values

    def act(self, observation, action_mask, *, greedy: bool = True) -> np.ndarray:
        stones = np.asarray(observation).reshape(len(observation), -1).sum(axis=1)
        if stones.min() < MIN_STONES:
            raise ValueError(
                f"{self.name} is asked to move with {int(stones.min())} stones on the board; without an opening "
                f"book positions with fewer than {MIN_STONES} stones take minutes to hours to solve. Start games "
                "from openings (evaluate(..., openings=...), boardgym eval --openings FILE) or use alphabeta:D")
        values = self.move_values(observation, action_mask)
        return sample_legal(self.rng, values == values.max(axis=1, keepdims=True))


def _make_solver_policy(game, seed=None, arg=None):
    if arg not in (None, "weak"):
        raise ValueError(f"unknown solver option {arg!r}: use 'solver' (exact scores) or 'solver:weak' (win/draw/loss)")
    return SolverPolicy(game, seed, weak=arg == "weak")


register("solver", _make_solver_policy)


# ---------------------------------------------------------------------------
# Strength measure
# ---------------------------------------------------------------------------


@dataclass
class OptimalMoveReport:
    """Whether a policy's greedy move keeps the game-theoretic outcome, per position."""

    positions: list[str]
    """Move strings (1-based columns) of the positions."""
    outcomes: np.ndarray
    """int8 per position: +1 the side to move wins, 0 draw, -1 it loses (perfect play)."""
    moves: np.ndarray
    """The policy's greedy move per position (0-based column)."""
    optimal: np.ndarray
    """bool per position: the move keeps the outcome (any move does in a lost position)."""

    @property
    def rate(self) -> float:
        """Fraction of positions where the move was optimal."""
        return float(self.optimal.mean()) if len(self.optimal) else float("nan")

    def summary(self) -> dict:
        """Counts and rates overall and on won and drawn positions (where moves can be wrong)."""
        out = {"positions": len(self.positions), "optimal": int(self.optimal.sum()), "rate": self.rate}
        for name, outcome in (("win", 1), ("draw", 0)):
            chosen = self.outcomes == outcome
            out[f"{name}_positions"] = int(chosen.sum())
            out[f"{name}_rate"] = float(self.optimal[chosen].mean()) if chosen.any() else float("nan")
        return out


def read_positions(positions_path_or_lines: str | os.PathLike | Iterable[str]) -> list[tuple[str, int | None]]:
    """(moves, score or None) per non-blank line of a file or an iterable of lines,
    each ``"<moves> [<score>]"`` as in Pons' test sets."""
    if isinstance(positions_path_or_lines, (str, os.PathLike)):
        path = Path(positions_path_or_lines)
        if not path.is_file():
            raise ValueError(f"positions file {str(path)!r} does not exist")
        lines = path.read_text().splitlines()
    else:
        lines = list(positions_path_or_lines)
    entries = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) > 2 or (len(fields) == 2 and not fields[1].lstrip("-").isdigit()):
            raise ValueError(f"line {number}: expected '<moves> [<score>]', got {line!r}")
        entries.append((fields[0], int(fields[1]) if len(fields) == 2 else None))
    return entries


def optimal_move_rate(policy, positions_path_or_lines, game: Game | str = CONNECT_FOUR, *,
                      batch_size: int = 256, solver: Solver | None = None) -> OptimalMoveReport:
    """Judge ``policy``'s greedy move (observations from the mover's view) on each
    position: optimal when it keeps the best achievable outcome (win stays win,
    draw stays draw; in a lost position any move counts). ``policy`` is a policy
    object or a name for :func:`make_policy`; the lines' scores, when present,
    give the outcomes, else the solver does."""
    game = require_connect_four(game)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    policy = make_policy(policy, game, seed=0)
    solver = solver if solver is not None else default_solver()
    entries = read_positions(positions_path_or_lines)
    texts = [moves for moves, _ in entries]
    parsed = []
    for number, (moves, _) in enumerate(entries, start=1):
        try:
            parsed.append(Position.parse(moves))
        except ValueError as err:
            raise ValueError(f"position {number} ({moves!r}): {err}") from None
    chosen = np.zeros(len(entries), dtype=np.int64)
    for start in range(0, len(entries), batch_size):
        boards = [rules.board_from_moves(game, moves) for moves in texts[start:start + batch_size]]
        mask = np.stack([board.legal_mask() for board in boards])
        actions = policy.act(np.stack([board.observe() for board in boards]), mask, greedy=True)
        chosen[start:start + len(boards)] = checked_moves(policy, actions, mask, "position",
                                                          np.arange(start, start + len(boards)) + 1)
    outcomes = np.array([np.sign(score) if score is not None else solver.solve(position, weak=True)
                         for (_, score), position in zip(entries, parsed)], dtype=np.int8)
    optimal = np.array([outcome < 0 or np.sign(solver.move_value(position, int(move), weak=True)) == outcome
                        for outcome, position, move in zip(outcomes, parsed, chosen)], dtype=bool)
    return OptimalMoveReport(positions=texts, outcomes=outcomes, moves=chosen, optimal=optimal)


# ---------------------------------------------------------------------------
# Command line: boardgym solve
# ---------------------------------------------------------------------------


@dataclass
class SolveConfig:
    """Solve a Connect Four position exactly and score every move."""

    position: str
    """The moves so far as 1-based columns, e.g. 4453 (positions with few stones take long)."""
    weak: bool = False
    """Only win/draw/loss (faster): scores are 1, 0 and -1."""


def describe_score(score: int, weak: bool = False) -> str:
    """A score in words, from the side to move's view."""
    if score == 0:
        return "draw"
    if weak:
        return "the side to move wins" if score > 0 else "the side to move loses"
    if score > 0:
        return f"the side to move wins with its stone number {22 - score}"
    return f"the side to move loses: the opponent wins with its stone number {22 + score}"


def cli_main(argv: list[str]) -> int:
    """``boardgym solve POSITION [--weak]``: the score and the analysis of every move."""
    import tyro

    config = tyro.cli(SolveConfig, args=argv, prog="boardgym solve", config=(tyro.conf.PositionalRequiredArgs,))
    try:
        position = Position.parse(config.position)
    except ValueError as err:
        print(f"boardgym solve: {err}", file=sys.stderr)
        return 2
    solver = default_solver()
    started = time.perf_counter()
    scores = solver.analyse(position, weak=config.weak)
    score = max(s for s in scores if s is not None)  # negamax: the best move's score
    seconds = time.perf_counter() - started
    print(rules.render_ansi(CONNECT_FOUR, rules.board_from_moves(CONNECT_FOUR, config.position).planes), end="")
    print(f"position {config.position!r}: {position.stones} stones, {'XO'[position.stones % 2]} to move")
    print(f"score {score}: {describe_score(score, config.weak)}")
    print("column " + " ".join(f"{column + 1:>3}" for column in range(WIDTH)))
    print("score  " + " ".join(f"{'-' if s is None else s:>3}" for s in scores))
    best = [column + 1 for column, s in enumerate(scores) if s == score]
    print(f"best moves: {' '.join(map(str, best))}   ({solver.nodes} positions explored in {seconds:.3f} s)")
    return 0
