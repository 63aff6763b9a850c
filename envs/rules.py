"""k-in-a-row rules: pure numpy, batched, no Gymnasium, PettingZoo or torch.

One family covers Tic-Tac-Toe (3x3, k=3), Connect Four (6x7, k=4, gravity) and
Gomoku (15x15, k=5). A :class:`Game` is the immutable rule set with its
precomputed tables; a :class:`State` is a batch of ``B`` boards.

Conventions shared by every part of boardgym:

* ``player 0`` (``player_0``) moves first.
* Cells are numbered row-major, row 0 at the top (the way a board is drawn).
* Actions: with gravity, the column index (0-based); without, the cell index.
* ``planes`` are int8 ``(B, 2, rows, cols)`` indexed by absolute player;
  :func:`observe` returns them from the mover's point of view (plane 0 = the
  mover's own stones), so one network serves both seats.
* A stone that completes ``k`` in a row wins, even when it fills the board.
* Win checks look only at the mover's stones after each move. The batched
  engine uses uint64 bitboards where the board fits in 64 bits and the lines
  through the new stone otherwise; the single-board :class:`Board` uses Python
  ints as bitboards of any width. The full table of winning lines
  (:func:`has_line`) is the reference, and all three are cross-checked move by
  move in the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

NO_WINNER = -1
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


def _winning_lines(rows: int, cols: int, k: int) -> np.ndarray:
    lines = []
    for r, c in itertools.product(range(rows), range(cols)):
        for dr, dc in _DIRECTIONS:
            end_r, end_c = r + dr * (k - 1), c + dc * (k - 1)
            if 0 <= end_r < rows and 0 <= end_c < cols:
                lines.append([(r + dr * i) * cols + (c + dc * i) for i in range(k)])
    return np.array(lines, dtype=np.intp).reshape(-1, k)


def _lines_through(lines: np.ndarray, n_cells: int) -> np.ndarray:
    """(n_cells, max_lines) line ids through each cell, padded with the id of a
    sentinel line (row ``len(lines)``) made of a cell that is always empty."""
    through = [[] for _ in range(n_cells)]
    for line_id, line in enumerate(lines):
        for cell in line:
            through[cell].append(line_id)
    width = max((len(t) for t in through), default=0)
    table = np.full((n_cells, max(width, 1)), len(lines), dtype=np.intp)
    for cell, ids in enumerate(through):
        table[cell, : len(ids)] = ids
    return table



def _run_shifts(rows: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Per direction of the bitboard layout (column-major, one guard bit per
    column), the right shifts that turn stones into "a run of k starts here".

    Runs double in length (1, 2, 4, ...) and then top up to k, so k=4 costs two
    shift-ands per direction instead of three: if ``m`` marks runs of length L,
    ``m & (m >> s*d)`` marks runs of length L+s for any s <= L.
    """
    steps, length = [], 1
    while length < k:
        steps.append(min(length, k - length))
        length += steps[-1]
    stride = rows + 1
    return tuple(tuple(step * d for step in steps) for d in (1, stride, stride - 1, stride + 1))


class IllegalMoveError(ValueError):
    """A move that the rules do not allow; the state is left unchanged."""


@dataclass(frozen=True)
class Game:
    """A k-in-a-row rule set: board size, line length and whether stones fall."""

    name: str
    rows: int
    cols: int
    k: int
    gravity: bool = False
    lines: np.ndarray = field(init=False, repr=False, compare=False)
    lines_through: np.ndarray = field(init=False, repr=False, compare=False)
    run_shifts: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for attr in ("rows", "cols", "k"):
            value = getattr(self, attr)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{attr} must be a positive integer, got {value!r}")
        if self.k > max(self.rows, self.cols):
            raise ValueError(f"k={self.k} does not fit on a {self.rows}x{self.cols} board")
        lines = _winning_lines(self.rows, self.cols, self.k)
        object.__setattr__(self, "lines", lines)
        object.__setattr__(self, "lines_through", _lines_through(lines, self.n_cells))
        object.__setattr__(self, "run_shifts", _run_shifts(self.rows, self.k))

    @property
    def n_cells(self) -> int:
        return self.rows * self.cols

    @property
    def n_actions(self) -> int:
        return self.cols if self.gravity else self.n_cells

    @property
    def uses_bitboards(self) -> bool:
        """Whether the board (plus one guard bit per column) fits in a uint64."""
        return (self.rows + 1) * self.cols <= 63

    def action_cell(self, action: int, heights: np.ndarray | None = None) -> tuple[int, int]:
        """The (row, col) where ``action`` puts a stone (gravity needs the heights)."""
        if self.gravity:
            return self.rows - 1 - int(heights[action]), int(action)
        return divmod(int(action), self.cols)


TICTACTOE = Game("tictactoe", rows=3, cols=3, k=3, gravity=False)
CONNECT_FOUR = Game("connect_four", rows=6, cols=7, k=4, gravity=True)
GOMOKU = Game("gomoku", rows=15, cols=15, k=5, gravity=False)
GAMES = {g.name: g for g in (TICTACTOE, CONNECT_FOUR, GOMOKU)}


def get_game(name: str | Game) -> Game:
    """Look a preset up by name (``"connect_four"``, ``"tictactoe"``, ``"gomoku"``)."""
    if isinstance(name, Game):
        return name
    try:
        return GAMES[name]
    except KeyError:
        raise ValueError(f"unknown game {name!r}; known games: {sorted(GAMES)}") from None


# ---------------------------------------------------------------------------
# Batched state and rules
# ---------------------------------------------------------------------------


@dataclass
class State:
    """A batch of boards. Arrays are indexed by board first.

    ``planes[b, p]`` holds player ``p``'s stones; ``heights[b, c]`` counts stones
    in column ``c``; ``bits[b, p]`` mirrors ``planes`` as bitboards when the game
    uses them; ``winner`` is -1 until someone completes a line.
    """

    planes: np.ndarray
    to_move: np.ndarray
    num_moves: np.ndarray
    winner: np.ndarray
    terminated: np.ndarray
    heights: np.ndarray
    bits: np.ndarray

    @property
    def batch_size(self) -> int:
        return self.planes.shape[0]

    def copy(self) -> "State":
        return State(**{name: value.copy() for name, value in vars(self).items()})

    def take(self, index) -> "State":
        """The sub-batch at ``index`` (boolean mask or integer indices; a copy)."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        # np.take along axis 0 copies whole rows, far faster than fancy indexing
        # for the small per-board arrays.
        return State(**{name: np.take(value, index, axis=0) for name, value in vars(self).items()})

    def put(self, index, other: "State") -> None:
        """Overwrite the boards at ``index`` with ``other``'s."""
        for name, value in vars(self).items():
            value[index] = getattr(other, name)


def initial(game: Game, batch_size: int = 1) -> State:
    """``batch_size`` empty boards with player 0 to move."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    return State(
        planes=np.zeros((batch_size, 2, game.rows, game.cols), dtype=np.int8),
        to_move=np.zeros(batch_size, dtype=np.int8),
        num_moves=np.zeros(batch_size, dtype=np.int16),
        winner=np.full(batch_size, NO_WINNER, dtype=np.int8),
        terminated=np.zeros(batch_size, dtype=bool),
        heights=np.zeros((batch_size, game.cols), dtype=np.int8),
        bits=np.zeros((batch_size, 2), dtype=np.uint64),
    )


def reset_boards(game: Game, state: State, index: np.ndarray) -> None:
    """Empty the boards selected by the boolean or integer ``index``, in place."""
    index = np.asarray(index)
    if index.dtype == bool:  # integer indices are much faster on the 4-D planes
        index = np.flatnonzero(index)
    state.planes[index] = 0
    state.to_move[index] = 0
    state.num_moves[index] = 0
    state.winner[index] = NO_WINNER
    state.terminated[index] = False
    state.heights[index] = 0
    state.bits[index] = 0


def legal_mask(game: Game, state: State) -> np.ndarray:
    """int8 (B, n_actions): 1 where the move is legal; all zeros once a game ended."""
    if game.gravity:
        mask = state.heights < game.rows
    else:
        occupied = state.planes[:, 0] | state.planes[:, 1]
        mask = occupied.reshape(state.batch_size, -1) == 0
    mask &= ~state.terminated[:, None]
    return mask.astype(np.int8)


def observe(game: Game, state: State) -> np.ndarray:
    """int8 (B, 2, rows, cols) planes from the point of view of the player to move."""
    return observe_as(game, state, state.to_move)


def observe_as(game: Game, state: State, player: np.ndarray | int) -> np.ndarray:
    """Planes from ``player``'s point of view (plane 0 = ``player``'s stones)."""
    batch = state.batch_size
    player = np.broadcast_to(np.asarray(player, dtype=np.intp), (batch,))
    # Gathering whole planes as rows of a (2B, cells) view is several times
    # faster than fancy indexing over (board, plane).
    rows = np.empty((batch, 2), dtype=np.intp)
    np.add(2 * np.arange(batch), player, out=rows[:, 0])
    np.bitwise_xor(rows[:, 0], 1, out=rows[:, 1])
    flat = np.ascontiguousarray(state.planes).reshape(2 * batch, game.n_cells)
    return np.take(flat, rows.reshape(-1), axis=0).reshape(batch, 2, game.rows, game.cols)


def check_actions(game: Game, state: State, actions) -> np.ndarray:
    """Validate a batch of moves; return them as intp or raise IllegalMoveError."""
    actions = np.asarray(actions)
    if actions.shape != (state.batch_size,):
        raise IllegalMoveError(
            f"expected {state.batch_size} moves with shape ({state.batch_size},), got shape {actions.shape}"
        )
    if not np.issubdtype(actions.dtype, np.integer):
        raise IllegalMoveError(f"moves must be integers, got dtype {actions.dtype}: {actions.tolist()}")
    ended = np.flatnonzero(state.terminated)
    if ended.size:
        raise IllegalMoveError(f"board {int(ended[0])} has already ended; no move is legal there")
    out_of_range = np.flatnonzero((actions < 0) | (actions >= game.n_actions))
    if out_of_range.size:
        b = int(out_of_range[0])
        raise IllegalMoveError(
            f"move {int(actions[b])} on board {b} is out of range 0..{game.n_actions - 1}; "
            f"legal moves: {np.flatnonzero(legal_mask(game, state.take([b]))[0]).tolist()}"
        )
    actions = actions.astype(np.intp)
    legal = legal_mask(game, state)
    bad = np.flatnonzero(legal[np.arange(state.batch_size), actions] == 0)
    if bad.size:
        b = int(bad[0])
        raise IllegalMoveError(
            f"move {int(actions[b])} on board {b} is illegal (occupied or full); "
            f"legal moves: {np.flatnonzero(legal[b]).tolist()}"
        )
    return actions


def step(game: Game, state: State, actions) -> State:
    """Play one move on every board and return the new state (``state`` is untouched)."""
    actions = check_actions(game, state, actions)
    new = state.copy()
    step_unchecked(game, new, actions)
    return new


def step_inplace(game: Game, state: State, actions) -> None:
    """Like :func:`step` but mutates ``state``; on an illegal move nothing changes."""
    step_unchecked(game, state, check_actions(game, state, actions))


def step_unchecked(game: Game, state: State, actions: np.ndarray, active: np.ndarray | None = None) -> None:
    """Apply legal moves in place. ``active`` (bool, B) limits which boards move."""
    if active is None:
        boards = np.arange(state.batch_size)
        selected = slice(None)
    else:
        boards = np.flatnonzero(active)
        if boards.size == 0:
            return
        actions = actions[boards]
        selected = boards
    player = state.to_move[selected].astype(np.intp)
    if game.gravity:
        heights = _flat_view(state.heights)
        slots = boards * game.cols + actions
        cells = (game.rows - 1 - heights[slots].astype(np.intp)) * game.cols + actions
        heights[slots] += 1
    else:
        cells = np.asarray(actions, dtype=np.intp)
    # Flat indices into contiguous arrays: one 1-D scatter instead of a 4-D one.
    stone_slots = boards * 2 + player
    _flat_view(state.planes)[stone_slots * game.n_cells + cells] = 1
    if game.uses_bitboards:
        bits = _flat_view(state.bits)
        mover_bits = bits[stone_slots] | _cell_bits(game)[cells]
        bits[stone_slots] = mover_bits
        won = _has_line(game, mover_bits)
    else:
        won = _check_lines(game, state, boards, player, cells)
    state.num_moves[selected] += 1
    state.winner[selected] = np.where(won, player, NO_WINNER)
    state.terminated[selected] = won | (state.num_moves[selected] >= game.n_cells)
    state.to_move[selected] = 1 - player


def _flat_view(array: np.ndarray) -> np.ndarray:
    """A 1-D view that writes through to ``array`` (State arrays are contiguous)."""
    if not array.flags.c_contiguous:
        raise ValueError("State arrays must be C-contiguous; build them with initial() or State.copy()")
    return array.reshape(-1)


_CELL_BITS: dict[tuple[int, int], np.ndarray] = {}


def _cell_bits(game: Game) -> np.ndarray:
    """uint64 (n_cells,): the bit of each cell, row-major cells to the bitboard layout."""
    key = (game.rows, game.cols)
    if key not in _CELL_BITS:
        rows, cols = np.divmod(np.arange(game.n_cells), game.cols)
        _CELL_BITS[key] = np.left_shift(np.uint64(1), _bit_index(game, rows, cols).astype(np.uint64))
    return _CELL_BITS[key]


def _bit_index(game: Game, rows, cols):
    """Bit of cell (row, col): column-major, bottom-up, one guard bit per column."""
    return cols * (game.rows + 1) + (game.rows - 1 - rows)


def _has_line(game: Game, bits: np.ndarray) -> np.ndarray:
    """True where the uint64 bitboards contain k stones in a row."""
    found = np.zeros(bits.shape, dtype=bool)
    for shifts in game.run_shifts:
        run = bits
        for shift in shifts:
            run = run & (run >> np.uint64(shift))
        found |= run != 0
    return found


def _check_lines(game: Game, state: State, boards, player, cells) -> np.ndarray:
    flat = state.planes[boards, player].reshape(len(boards), -1)
    padded = np.concatenate([flat, np.zeros((len(boards), 1), dtype=flat.dtype)], axis=1)
    sentinel_line = np.full((1, game.k), game.n_cells, dtype=np.intp)
    lines = np.concatenate([game.lines, sentinel_line])[game.lines_through[cells]]
    stones = padded[np.arange(len(boards))[:, None, None], lines]
    return stones.all(axis=2).any(axis=1)


def returns(state: State) -> np.ndarray:
    """float32 (B, 2): each player's final reward (+1 win, -1 loss, 0 draw or running)."""
    out = np.zeros((state.batch_size, 2), dtype=np.float32)
    won = state.winner >= 0
    winner = state.winner[won].astype(np.intp)
    out[np.flatnonzero(won), winner] = 1.0
    out[np.flatnonzero(won), 1 - winner] = -1.0
    return out


def has_line(game: Game, stones: np.ndarray) -> np.ndarray:
    """Whether boards of one player's stones (B, rows, cols) contain k in a row
    anywhere (the full-table check, used on positions that were not played)."""
    flat = np.asarray(stones).reshape(len(stones), -1).astype(bool)
    return flat[:, game.lines].all(axis=2).any(axis=1)


def column_heights(game: Game, planes: np.ndarray) -> np.ndarray:
    """Stones per column (B, cols) of planes (B, 2, rows, cols), either view."""
    return (planes[:, 0] | planes[:, 1]).sum(axis=1, dtype=np.intp)


def planes_to_bits(game: Game, planes: np.ndarray) -> np.ndarray:
    """uint64 (B, 2) bitboards of planes (B, 2, rows, cols) in the layout of
    ``State.bits`` (column-major, bottom-up, one guard bit per column), for the
    searches that start from observations."""
    if not game.uses_bitboards:
        raise ValueError(f"{game.name} ({game.rows}x{game.cols}) does not fit in 64-bit bitboards")
    rows, cols = np.meshgrid(np.arange(game.rows), np.arange(game.cols), indexing="ij")
    cell_bits = np.left_shift(np.uint64(1), _bit_index(game, rows, cols).astype(np.uint64))
    # Distinct powers of two: their sum is their bitwise or.
    return np.where(np.asarray(planes).astype(bool), cell_bits, np.uint64(0)).sum(axis=(-2, -1), dtype=np.uint64)


def winning_moves(game: Game, planes: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
    """bool (B, n_actions): legal moves that complete k in a row for the owner of
    plane 0. ``planes[:, ::-1]`` asks the same for the other player (with gravity
    both would fill the same cell), which is how a move that blocks is found."""
    planes = np.asarray(planes)
    batch = planes.shape[0]
    legal = np.asarray(action_mask).astype(bool)
    actions = np.arange(game.n_actions)
    if game.gravity:
        heights = np.minimum(column_heights(game, planes), game.rows - 1)
        cells = (game.rows - 1 - heights) * game.cols + actions[None, :]
    else:
        cells = np.broadcast_to(actions, (batch, game.n_actions))
    own = planes[:, 0].reshape(batch, 1, -1).astype(bool)
    candidate = np.repeat(own, game.n_actions, axis=1)
    candidate[np.arange(batch)[:, None], actions[None, :], cells] = True
    # Only lines through the new stone can be new, but the full table is cheap
    # at these sizes and keeps this independent of the incremental checks.
    lines_through = game.lines_through[cells]  # (B, A, L)
    padded = np.concatenate([candidate, np.zeros((batch, game.n_actions, 1), dtype=bool)], axis=2)
    sentinel = np.full((1, game.k), game.n_cells, dtype=np.intp)
    line_cells = np.concatenate([game.lines, sentinel])[lines_through]  # (B, A, L, k)
    stones = padded[np.arange(batch)[:, None, None, None], actions[None, :, None, None], line_cells]
    return stones.all(axis=3).any(axis=2) & legal


# ---------------------------------------------------------------------------
# Symmetries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Symmetry:
    """A board symmetry as index maps: ``new[i] = old[cell_perm[i]]`` for cells,
    ``new[a] = old[action_perm[a]]`` for per-action vectors and masks."""

    name: str
    cell_perm: np.ndarray
    action_perm: np.ndarray

    def planes(self, planes: np.ndarray) -> np.ndarray:
        """Transform (..., rows, cols) planes."""
        shape = planes.shape
        flat = planes.reshape(*shape[:-2], shape[-2] * shape[-1])  # not -1: an empty batch must work too
        return flat[..., self.cell_perm].reshape(shape)

    def per_action(self, values: np.ndarray) -> np.ndarray:
        """Transform (..., n_actions) masks, logits or Q-values."""
        return np.asarray(values)[..., self.action_perm]

    def action(self, actions):
        """Where an action goes under the symmetry (the inverse of ``action_perm``)."""
        inverse = np.argsort(self.action_perm)
        return inverse[np.asarray(actions)]


def symmetries(game: Game) -> list[Symmetry]:
    """The board symmetries that keep the rules: the left-right mirror with
    gravity; the 8 rotations and reflections of a square board without; 4 for a
    non-square board without gravity. The identity comes first."""
    r, c = game.rows, game.cols
    grid = np.arange(game.n_cells).reshape(r, c)
    maps = {"identity": grid, "mirror": grid[:, ::-1]}
    if not game.gravity:
        maps.update({"flip": grid[::-1, :], "rot180": grid[::-1, ::-1]})
        if r == c:
            maps.update({
                "rot90": np.rot90(grid, 1), "rot270": np.rot90(grid, 3),
                "transpose": grid.T, "antitranspose": np.rot90(grid, 2).T,
            })
    result = []
    for name, cell_map in maps.items():
        cell_perm = cell_map.reshape(-1).copy()
        action_perm = (cell_map[0].copy() if game.gravity else cell_perm)
        result.append(Symmetry(name, cell_perm, np.asarray(action_perm, dtype=np.intp)))
    return result


# ---------------------------------------------------------------------------
# Position codec
# ---------------------------------------------------------------------------


def encode_moves(game: Game, moves) -> str:
    """Moves as text: with gravity, 1-based columns (Pascal Pons' solver files,
    ``"4453"``); without, 0-based cells (``"048"`` for Tic-Tac-Toe). Boards with
    more than 9 actions use comma-separated numbers."""
    offset = 1 if game.gravity else 0
    tokens = [str(int(m) + offset) for m in moves]
    return ("" if game.n_actions + offset <= 10 else ",").join(tokens)


def decode_moves(game: Game, text: str) -> list[int]:
    """The inverse of :func:`encode_moves` (0-based actions); raises ValueError on junk."""
    offset = 1 if game.gravity else 0
    text = text.strip()
    if not text:
        return []
    tokens = text.split(",") if ("," in text or game.n_actions + offset > 10) else list(text)
    moves = []
    for token in tokens:
        if not token.strip().isdigit():
            raise ValueError(f"bad move {token!r} in position {text!r}")
        move = int(token) - offset
        if not 0 <= move < game.n_actions:
            raise ValueError(
                f"move {token!r} in position {text!r} is out of range "
                f"{offset}..{game.n_actions - 1 + offset}"
            )
        moves.append(move)
    return moves


def replay(game: Game, moves) -> State:
    """The single-board state after playing ``moves`` (a list or a codec string)."""
    if isinstance(moves, str):
        moves = decode_moves(game, moves)
    state = initial(game, 1)
    for ply, move in enumerate(moves):
        legal = legal_mask(game, state)[0]
        if not (0 <= move < game.n_actions and legal[move]):
            raise _replay_error(game, moves, ply, legal)
        step_unchecked(game, state, np.array([move], dtype=np.intp))
    return state


def _replay_error(game: Game, moves, ply: int, legal: np.ndarray) -> IllegalMoveError:
    """An error for move ``ply`` of ``moves``, written in the codec's own notation."""
    offset = 1 if game.gravity else 0
    move = int(moves[ply])
    before = encode_moves(game, moves[:ply]) or "the empty board"
    if not 0 <= move < game.n_actions:
        reason = f"out of range {offset}..{game.n_actions - 1 + offset}"
    elif not legal.any():
        reason = "the game had already ended"
    else:
        reason = "it is illegal there; legal: " + ", ".join(str(a + offset) for a in np.flatnonzero(legal))
    return IllegalMoveError(f"move {ply + 1} ({move + offset}) after {before!r} cannot be played: {reason}")


# ---------------------------------------------------------------------------
# Single-board fast path
# ---------------------------------------------------------------------------


class _BoardTables:
    """Per-game lookup tables for :class:`Board`, built once per game."""

    _cache: dict[Game, "_BoardTables"] = {}

    def __init__(self, game: Game):
        self.gravity, self.rows, self.n_cells = game.gravity, game.rows, game.n_cells
        #: action -> the cell it fills, per column height with gravity.
        self.landing_cell = [[(game.rows - 1 - height) * game.cols + action for height in range(game.rows)]
                             for action in range(game.n_actions)] if game.gravity else None
        #: cell -> (row, col) and cell -> its bit in a Python-int bitboard; Python
        #: ints have no width limit, so even Gomoku's 240-bit layout works.
        self.row_col = [divmod(cell, game.cols) for cell in range(game.n_cells)]
        self.cell_bit = [1 << int(_bit_index(game, r, c)) for r, c in self.row_col]
        self.run_shifts = game.run_shifts
        #: Nobody has k stones before this many moves, so no line to look for.
        self.first_possible_win = 2 * game.k - 1

    @classmethod
    def of(cls, game: Game) -> "_BoardTables":
        if game not in cls._cache:
            cls._cache[game] = cls(game)
        return cls._cache[game]


class Board:
    """One mutable board with the same rules as the batched functions, tuned for
    one move at a time: Python ints as bitboards, the legal mask and both
    players' views kept up to date move by move, so reading them is one copy.
    The environments use it; the tests replay random games through both."""

    __slots__ = ("game", "planes", "heights", "to_move", "num_moves", "winner", "terminated",
                 "moves", "_tables", "_views", "_open", "_mask", "_no_moves", "_bits")

    def __init__(self, game: Game):
        self.game = game
        self._tables = _BoardTables.of(game)
        self.planes = np.zeros((2, game.rows, game.cols), dtype=np.int8)
        #: planes from each player's view: _views[p][0] holds p's stones.
        self._views = (self.planes, np.zeros_like(self.planes))
        self._mask = np.ones(game.n_actions, dtype=np.int8)
        self._no_moves = np.zeros(game.n_actions, dtype=np.int8)
        self.reset()

    def reset(self) -> None:
        """Empty the board in place (arrays handed out earlier were copies)."""
        game = self.game
        self._views[0].fill(0)
        self._views[1].fill(0)
        self._mask.fill(1)
        self.heights = [0] * game.cols
        self.to_move = 0
        self.num_moves = 0
        self.winner = NO_WINNER
        self.terminated = False
        self.moves: list[int] = []
        self._open = [True] * game.n_actions
        self._bits = [0, 0]

    def legal_mask(self) -> np.ndarray:
        """int8 (n_actions,), a fresh array; all zeros once the game has ended."""
        return (self._no_moves if self.terminated else self._mask).copy()

    def view(self, player: int) -> tuple[np.ndarray, np.ndarray]:
        """Fresh (planes from ``player``'s view, ``player``'s legal mask): the mask
        is all zeros unless it is ``player``'s turn in a game still running."""
        mask = self._mask if player == self.to_move and not self.terminated else self._no_moves
        return self._views[player].copy(), mask.copy()

    def is_legal(self, action) -> bool:
        if action.__class__ is not int:
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                return False
            action = int(action)
        return not self.terminated and 0 <= action < len(self._open) and self._open[action]

    def legal_moves(self) -> list[int]:
        if self.terminated:
            return []
        return [action for action, is_open in enumerate(self._open) if is_open]

    def check(self, action) -> int:
        """Return ``action`` as an int or raise IllegalMoveError naming it and the legal moves."""
        if self.terminated:
            raise IllegalMoveError(f"the game has ended; move {action!r} cannot be played")
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action.item()
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
            raise IllegalMoveError(
                f"a move must be an integer, got {action!r} ({type(action).__name__}); "
                f"legal moves: {self.legal_moves()}"
            )
        if not self.is_legal(action):
            raise IllegalMoveError(f"move {action} is illegal; legal moves: {self.legal_moves()}")
        return int(action)

    def play(self, action) -> None:
        """Play a move for the player to move; IllegalMoveError leaves the board unchanged."""
        self.play_unchecked(self.check(action))

    def play_if_legal(self, action) -> bool:
        """Play ``action`` if it is a plain int naming a legal move; return whether
        it was played (the environments' hot path; anything else returns False)."""
        if action.__class__ is not int or self.terminated or not 0 <= action < len(self._open) \
                or not self._open[action]:
            return False
        self.play_unchecked(action)
        return True

    def play_unchecked(self, action: int) -> None:
        """Play a move known to be legal (a plain int); the environments' hot path."""
        tables = self._tables
        player = self.to_move
        if tables.gravity:
            height = self.heights[action]
            cell = tables.landing_cell[action][height]
            self.heights[action] = height + 1
            if height + 1 == tables.rows:
                self._open[action] = False
                self._mask[action] = 0
        else:
            cell = action
            self._open[action] = False
            self._mask[action] = 0
        row, col = tables.row_col[cell]
        self._views[0][player, row, col] = 1
        self._views[1][1 - player, row, col] = 1
        self.moves.append(action)
        self.num_moves += 1
        bits = self._bits[player] | tables.cell_bit[cell]
        self._bits[player] = bits
        self.to_move = 1 - player
        if self.num_moves >= tables.first_possible_win:
            for shifts in tables.run_shifts:
                run = bits
                for shift in shifts:
                    run &= run >> shift
                if run:
                    self.winner = player
                    self.terminated = True
                    return
        self.terminated = self.num_moves == tables.n_cells

    def observe(self, player: int | None = None) -> np.ndarray:
        """int8 (2, rows, cols) from ``player``'s view (default: the player to move), a fresh array."""
        return self._views[self.to_move if player is None else player].copy()

    def returns(self) -> tuple[float, float]:
        if self.winner == NO_WINNER:
            return 0.0, 0.0
        return (1.0, -1.0) if self.winner == 0 else (-1.0, 1.0)

    def to_state(self) -> State:
        """This board as a batch of one (for the batched functions and policies)."""
        return replay(self.game, self.moves)


def board_from_moves(game: Game, moves) -> Board:
    """A :class:`Board` after ``moves`` (a list of actions or a codec string)."""
    if isinstance(moves, str):
        moves = decode_moves(game, moves)
    board = Board(game)
    for ply, move in enumerate(moves):
        if not board.is_legal(move):
            raise _replay_error(game, moves, ply, board.legal_mask())
        board.play_unchecked(int(move))
    return board


def render_ansi(game: Game, planes: np.ndarray, marks: str = "XO") -> str:
    """Draw absolute-player planes (2, rows, cols) as text, row 0 at the top."""
    board = np.full((game.rows, game.cols), ".", dtype="<U1")
    board[planes[0] == 1] = marks[0]
    board[planes[1] == 1] = marks[1]
    lines = [" ".join(row) for row in board]
    if game.gravity:
        lines.append(" ".join(str(c + 1) for c in range(game.cols)))
    return "\n".join(lines) + "\n"


def parse_board(game: Game, text: str, marks: str = "XO") -> np.ndarray:
    """Absolute-player planes (2, rows, cols) from an ASCII board (for tests and docs).
    Rows are lines of ``X``, ``O`` and ``.`` (spaces ignored), top row first."""
    rows = [line.replace(" ", "") for line in text.strip().splitlines()]
    rows = [line for line in rows if line and not line.isdigit()]
    if len(rows) != game.rows or any(len(line) != game.cols for line in rows):
        raise ValueError(f"expected {game.rows} rows of {game.cols} cells, got {rows!r}")
    planes = np.zeros((2, game.rows, game.cols), dtype=np.int8)
    for r, line in enumerate(rows):
        for c, ch in enumerate(line):
            if ch == marks[0]:
                planes[0, r, c] = 1
            elif ch == marks[1]:
                planes[1, r, c] = 1
            elif ch != ".":
                raise ValueError(f"bad cell {ch!r} at row {r}, column {c}")
    return planes
