"""Data for the pipelines: scikit-learn's bundled sets, digits as 28x28 images,
MNIST-style IDX files, board positions (as planes and as 28x28 images), and
readers for the reference files described in ``shared/data/*/README.md``.

Nothing here downloads anything: files are read from the paths given.

Board conventions are those of :mod:`boardgym.envs.rules`: planes are int8
``(N, 2, rows, cols)``, row 0 at the top. Each reader says whose stones plane 0
holds (the first player's, or the side to move's).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from sklearn import datasets as sk_datasets

from boardgym.envs import rules

SKLEARN_LOADERS = {
    "diabetes": sk_datasets.load_diabetes,
    "wine": sk_datasets.load_wine,
    "digits": sk_datasets.load_digits,
    "iris": sk_datasets.load_iris,
    "breast_cancer": sk_datasets.load_breast_cancer,
}


def load_sklearn(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a data set bundled with scikit-learn (no download)."""
    if name not in SKLEARN_LOADERS:
        raise ValueError(f"unknown scikit-learn data set {name!r}; known: {sorted(SKLEARN_LOADERS)}")
    return SKLEARN_LOADERS[name](return_X_y=True)


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------


def _linear_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of 1-D linear interpolation with pixel centres
    aligned as in PIL and torch (``align_corners=False``); rows sum to 1."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    centres = np.clip(centres, 0, n_in - 1)
    left = np.floor(centres).astype(int)
    right = np.minimum(left + 1, n_in - 1)
    frac = centres - left
    weights = np.zeros((n_out, n_in))
    weights[np.arange(n_out), left] += 1 - frac
    weights[np.arange(n_out), right] += frac
    return weights


def resize_images(images: np.ndarray, size: int = 28) -> np.ndarray:
    """Bilinear resize of ``(N, h, w)`` images to ``(N, size, size)`` float32.
    Each output pixel is a convex mix of input pixels, so [0, 1] stays [0, 1]."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, height, width), got shape {images.shape}")
    rows = _linear_resize_matrix(images.shape[1], size)
    cols = _linear_resize_matrix(images.shape[2], size)
    return np.einsum("ri,nij,cj->nrc", rows, images, cols).astype(np.float32)


def digits_28x28() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 digits (8x8, values 0-16) as float32 ``(N, 28, 28)``
    images in [0, 1] (divided by 16, bilinear upscale) and int labels 0-9."""
    digits = sk_datasets.load_digits()
    return resize_images(digits.images / 16.0, 28), digits.target


_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST / Fashion-MNIST format), gzipped or not (told by
    its first bytes, not its name): magic ``0 0 <type> <ndim>``, ``ndim``
    big-endian uint32 sizes, then the values, big-endian."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic bytes {raw[:4].hex()})")
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header_end], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header_end != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes of data), "
                         f"file has {len(raw) - header_end}")
    return np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx_images(images_path: str | Path, labels_path: str | Path | None = None):
    """MNIST-style images as float32 ``(N, rows, cols)`` in [0, 1] (bytes / 255),
    with int64 labels when ``labels_path`` is given: ``(images, labels or None)``."""
    images = read_idx(images_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{images_path}: expected uint8 images (N, rows, cols), got {images.dtype} {images.shape}")
    labels = None
    if labels_path is not None:
        labels = read_idx(labels_path).astype(np.int64)
        if labels.shape != (len(images),):
            raise ValueError(f"{labels_path}: {labels.shape} labels for {len(images)} images")
    return images.astype(np.float32) / 255.0, labels


# ---------------------------------------------------------------------------
# Board positions
# ---------------------------------------------------------------------------


def render_positions(planes: np.ndarray, size: int = 28, own: float = 1.0, opponent: float = 0.5) -> np.ndarray:
    """Planes ``(N, 2, rows, cols)`` as float32 grayscale ``(N, size, size)``
    images: plane 0's stones ``own`` (bright), plane 1's ``opponent`` (mid grey),
    empty cells black. Each cell is a square of ``size // max(rows, cols)``
    pixels; the board is centred and the margin is black."""
    planes = np.asarray(planes)
    if planes.ndim != 4 or planes.shape[1] != 2:
        raise ValueError(f"planes must be (N, 2, rows, cols), got shape {planes.shape}")
    n, _, rows, cols = planes.shape
    cell = size // max(rows, cols)
    if cell < 1:
        raise ValueError(f"a {rows}x{cols} board does not fit in {size}x{size} pixels")
    board = (planes[:, 0] * own + planes[:, 1] * opponent).astype(np.float32)
    board = board.repeat(cell, axis=1).repeat(cell, axis=2)
    top, left = (size - rows * cell) // 2, (size - cols * cell) // 2
    images = np.zeros((n, size, size), dtype=np.float32)
    images[:, top:top + rows * cell, left:left + cols * cell] = board
    return images


def random_positions(game: rules.Game | str, n_positions: int, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """``n_positions`` positions met in uniformly random games (batched), as
    int8 planes from the view of the side to move, in random order. Only
    positions where a move is still due are kept; early positions (the empty
    board first) come up once per game, so they repeat."""
    game = rules.get_game(game)
    if n_positions < 1:
        raise ValueError(f"n_positions must be at least 1, got {n_positions}")
    rng = np.random.default_rng(seed)
    collected: list[np.ndarray] = []
    total = 0
    while total < n_positions:
        state = rules.initial(game, batch_size)
        while not state.terminated.all():
            running = ~state.terminated
            collected.append(rules.observe(game, state)[running])
            total += int(running.sum())
            # A uniform legal move: the legal action with the largest random key.
            keys = np.where(rules.legal_mask(game, state) == 1, rng.random((batch_size, game.n_actions)), -1.0)
            rules.step_unchecked(game, state, keys.argmax(axis=1), active=running)
    positions = np.concatenate(collected)
    return positions[rng.permutation(len(positions))[:n_positions]]


# ---------------------------------------------------------------------------
# Reference files (shared/data)
# ---------------------------------------------------------------------------


def _read_cell_rows(path: str | Path, n_cells: int, labels: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Comma-separated rows of ``n_cells`` cells (x/o/b) and a label: the cells
    as a (N, n_cells) array of one-letter strings and the mapped labels."""
    cells, targets = [], []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        if len(fields) != n_cells + 1:
            raise ValueError(f"{path} line {number}: expected {n_cells + 1} fields, got {len(fields)}")
        bad = sorted(set(fields[:n_cells]) - {"x", "o", "b"})
        if bad:
            raise ValueError(f"{path} line {number}: cells must be x, o or b, got {bad}")
        if fields[-1] not in labels:
            raise ValueError(f"{path} line {number}: label {fields[-1]!r} is not one of {sorted(labels)}")
        cells.append(fields[:n_cells])
        targets.append(labels[fields[-1]])
    if not cells:
        raise ValueError(f"{path}: no rows")
    return np.array(cells), np.array(targets, dtype=np.int8)


def _planes_from_grid(grid: np.ndarray) -> np.ndarray:
    """(N, rows, cols) of x/o/b -> int8 planes (N, 2, rows, cols), plane 0 = x."""
    return np.stack([grid == "x", grid == "o"], axis=1).astype(np.int8)


#: UCI connect-4 labels -> the first player's outcome.
UCI_CONNECT4_OUTCOMES = {"win": 1, "draw": 0, "loss": -1}


def read_uci_connect4(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The UCI "Connect-4" file: ``(planes, outcomes)``.

    ``planes``: int8 ``(N, 2, 6, 7)``, row 0 at the top, plane 0 = x (the first
    player), plane 1 = o. Every board has 8 stones, so x is also the side to
    move: this is the :func:`rules.observe` view. The file lists cells a1..a6,
    b1..g6 (column by column from the left, each bottom-up); that order is
    undone here. ``outcomes``: int8, +1 win / 0 draw / -1 loss for x with
    perfect play.
    """
    cells, outcomes = _read_cell_rows(path, 42, UCI_CONNECT4_OUTCOMES)
    game = rules.CONNECT_FOUR
    # cells[n, col * rows + height] with height counted from the bottom.
    grid = cells.reshape(-1, game.cols, game.rows)[:, :, ::-1].transpose(0, 2, 1)
    return _planes_from_grid(grid), outcomes


#: UCI tic-tac-toe labels -> whether x has three in a row.
UCI_TICTACTOE_LABELS = {"positive": 1, "negative": 0}


def read_uci_tictactoe(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The UCI "Tic-Tac-Toe Endgame" file: ``(planes, x_won)``.

    ``planes``: int8 ``(N, 2, 3, 3)``, row 0 at the top, plane 0 = x (the first
    player), plane 1 = o (the boards are finished games, so there is no side
    to move). ``x_won``: int8, 1 where x has three in a row, else 0 (o won or
    a draw).
    """
    cells, x_won = _read_cell_rows(path, 9, UCI_TICTACTOE_LABELS)
    return _planes_from_grid(cells.reshape(-1, 3, 3)), x_won


def read_pons(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A Pascal Pons benchmark file (lines ``<moves> <score>``): ``(planes, scores)``.

    ``planes``: int8 ``(N, 2, 6, 7)`` of the position after the moves (1-based
    columns) from the view of the side to move (plane 0 = its stones), as
    :func:`rules.observe` gives them. ``scores``: int16, the perfect-play value
    for the side to move (positive: it wins, ``22 - k`` with k its winning
    stone; 0: draw; negative: it loses).
    """
    game = rules.CONNECT_FOUR
    planes, scores = [], []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].lstrip("-").isdigit():
            raise ValueError(f"{path} line {number}: expected '<moves> <score>', got {line!r}")
        try:
            board = rules.board_from_moves(game, fields[0])
        except ValueError as err:
            raise ValueError(f"{path} line {number}: {err}") from None
        if board.terminated:
            raise ValueError(f"{path} line {number}: the game is already over after {fields[0]}")
        planes.append(board.observe())
        scores.append(int(fields[1]))
    if not planes:
        raise ValueError(f"{path}: no rows")
    return np.stack(planes).astype(np.int8), np.array(scores, dtype=np.int16)
