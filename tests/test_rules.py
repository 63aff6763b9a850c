"""The k-in-a-row rules against external truth (published position counts, the
UCI data sets, Pascal Pons' benchmark positions) and against each other (the
batched engine and the single-board Board, move by move)."""

from pathlib import Path

import numpy as np
import pytest

from boardgym.envs import rules
from boardgym.envs.rules import CONNECT_FOUR, GOMOKU, TICTACTOE, IllegalMoveError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GAMES = (TICTACTOE, CONNECT_FOUR, GOMOKU)


# ---------------------------------------------------------------------------
# External truth
# ---------------------------------------------------------------------------


def _mirror_bits(bits: np.ndarray) -> np.ndarray:
    """Connect Four bitboards mirrored left-right (7 bits per column)."""
    mirrored = np.zeros_like(bits)
    for col in range(7):
        column = (bits >> np.uint64(7 * col)) & np.uint64(0x7F)
        mirrored |= column << np.uint64(7 * (6 - col))
    return mirrored


def _unique_up_to_mirror(state: rules.State) -> rules.State:
    """One board per position, a board and its mirror image counting once."""
    keys = np.concatenate([state.bits, _mirror_bits(state.bits)], axis=1)  # (N, 4)
    own, mirrored = keys[:, :2], keys[:, 2:]
    smaller = (mirrored[:, 0] < own[:, 0]) | ((mirrored[:, 0] == own[:, 0]) & (mirrored[:, 1] < own[:, 1]))
    canonical = np.where(smaller[:, None], mirrored, own)
    _, first = np.unique(canonical, axis=0, return_index=True)
    return state.take(np.sort(first))


def test_connect_four_position_counts_match_oeis_b013582_for_plies_0_to_8():
    expected = dict(
        tuple(map(int, line.split()))
        for line in (DATA / "connect4_position_counts" / "b013582.txt").read_text().splitlines()
    )
    game = CONNECT_FOUR
    frontier = rules.initial(game, 1)
    counts = [1]
    for _ply in range(1, 9):
        running = frontier.take(np.flatnonzero(~frontier.terminated))
        parents = np.repeat(np.arange(running.batch_size), game.n_actions)
        actions = np.tile(np.arange(game.n_actions), running.batch_size)
        legal = rules.legal_mask(game, running).reshape(-1) == 1
        children = running.take(parents[legal])
        rules.step_inplace(game, children, actions[legal])
        frontier = _unique_up_to_mirror(children)
        counts.append(frontier.batch_size)
    assert counts == [expected[ply] for ply in range(9)]
    assert counts == [1, 4, 25, 121, 568, 2144, 8231, 27473, 92244]


def _uci_tictactoe():
    boards, labels = [], []
    for line in (DATA / "uci_tictactoe" / "tic-tac-toe.data").read_text().splitlines():
        *cells, label = line.split(",")
        boards.append([[cell == "x" for cell in cells], [cell == "o" for cell in cells]])
        labels.append(label == "positive")
    return np.array(boards, dtype=np.int8).reshape(-1, 2, 3, 3), np.array(labels)


def test_uci_tictactoe_label_is_x_has_three_in_a_row():
    boards, x_won = _uci_tictactoe()
    assert len(boards) == 958
    x_line = rules.has_line(TICTACTOE, boards[:, 0])
    o_line = rules.has_line(TICTACTOE, boards[:, 1])
    np.testing.assert_array_equal(x_line, x_won)
    full = boards.sum(axis=(1, 2, 3)) == 9
    assert (x_line.sum(), (o_line & ~x_line).sum(), (full & ~x_line & ~o_line).sum()) == (626, 316, 16)
    assert not (x_line & o_line).any()


def _uci_connect_four():
    fields = [line.split(",") for line in
              (DATA / "uci_connect4_sample30" / "connect-4.sample30.data").read_text().splitlines()]
    cells = np.array([row[:42] for row in fields])
    labels = [row[42] for row in fields]
    # Column-major and bottom-up: field i is column i // 6, row i % 6 from the bottom.
    index = np.arange(42)
    rows, cols = 5 - index % 6, index // 6
    planes = np.zeros((len(cells), 2, 6, 7), dtype=np.int8)
    planes[:, 0, rows, cols] = cells == "x"
    planes[:, 1, rows, cols] = cells == "o"
    return cells, planes, labels


def test_uci_connect_four_rows_decode_to_legal_eight_stone_positions():
    cells, planes, labels = _uci_connect_four()
    assert len(cells) == 20267
    assert (labels.count("win"), labels.count("loss"), labels.count("draw")) == (13312, 4981, 1974)
    assert (planes[:, 0].sum(axis=(1, 2)) == 4).all() and (planes[:, 1].sum(axis=(1, 2)) == 4).all()
    occupied = planes[:, 0] | planes[:, 1]
    heights = rules.column_heights(CONNECT_FOUR, planes)
    # Gravity: each column is filled from the bottom row up with no gap.
    filled_from_bottom = np.arange(6)[::-1][None, :, None] < heights[:, None, :]
    np.testing.assert_array_equal(occupied.astype(bool), filled_from_bottom)
    assert not rules.has_line(CONNECT_FOUR, planes[:, 0]).any()
    assert not rules.has_line(CONNECT_FOUR, planes[:, 1]).any()
    index = np.arange(42)
    rows, cols = 5 - index % 6, index // 6
    encoded = np.where(planes[:, 0, rows, cols] == 1, "x", np.where(planes[:, 1, rows, cols] == 1, "o", "b"))
    np.testing.assert_array_equal(encoded, cells)


@pytest.mark.parametrize("name", ["Test_L3_R1", "Test_L2_R1"])
def test_pons_positions_replay_legally_with_no_earlier_win(name):
    lines = (DATA / "pons_connect4" / name).read_text().splitlines()
    assert len(lines) == 1000
    for line in lines:
        moves, score = line.split()
        board = rules.board_from_moves(CONNECT_FOUR, moves)  # raises on an illegal move
        # board_from_moves refuses moves after a win, so reaching here with the
        # game still running means no earlier four and no full board.
        assert not board.terminated, line
        assert board.num_moves == len(moves)
        assert rules.encode_moves(CONNECT_FOUR, board.moves) == moves
        assert abs(int(score)) <= 21 - board.num_moves // 2


# ---------------------------------------------------------------------------
# Batched engine == single-board engine, move by move
# ---------------------------------------------------------------------------


def _direction(game, planes) -> set[tuple[int, int]]:
    """The directions (dr, dc) of the winning lines in one player's planes."""
    stones = planes.reshape(-1).astype(bool)
    found = set()
    for line in game.lines[stones[game.lines].all(axis=1)]:
        (r0, c0), (r1, c1) = divmod(int(line[0]), game.cols), divmod(int(line[1]), game.cols)
        found.add((r1 - r0, c1 - c0))
    return found


@pytest.mark.parametrize("game, n_games", [(TICTACTOE, 2000), (CONNECT_FOUR, 2000), (GOMOKU, 150)],
                         ids=lambda v: getattr(v, "name", str(v)))
def test_batched_and_single_board_engines_agree_on_random_games(game, n_games):
    rng = np.random.default_rng(12345)
    state = rules.initial(game, n_games)
    boards = [rules.Board(game) for _ in range(n_games)]
    while not state.terminated.all():
        mask = rules.legal_mask(game, state)
        observed = rules.observe(game, state)
        for b, board in enumerate(boards):
            np.testing.assert_array_equal(board.legal_mask(), mask[b])
            np.testing.assert_array_equal(board.observe(), observed[b])
        keys = rng.random(mask.shape)
        keys[mask == 0] = -1
        actions = keys.argmax(axis=1)
        active = ~state.terminated
        rules.step_unchecked(game, state, actions, active)
        for b in np.flatnonzero(active):
            boards[b].play(int(actions[b]))
        assert [board.terminated for board in boards] == state.terminated.tolist()
        assert [board.winner for board in boards] == state.winner.tolist()
        assert [board.to_move for board in boards] == state.to_move.tolist()
        assert [board.num_moves for board in boards] == state.num_moves.tolist()
        # The full table of lines (independent of both incremental checks):
        # a line exists exactly on the boards that were won, for the winner.
        for player in (0, 1):
            np.testing.assert_array_equal(rules.has_line(game, state.planes[:, player]), state.winner == player)
    for b, board in enumerate(boards):
        np.testing.assert_array_equal(board.planes, state.planes[b])
        assert rules.decode_moves(game, rules.encode_moves(game, board.moves)) == board.moves
    directions = set().union(*(_direction(game, state.planes[b, w]) for b, w in enumerate(state.winner) if w >= 0))
    assert directions == {(0, 1), (1, 0), (1, 1), (1, -1)}  # every direction was won at least once


# ---------------------------------------------------------------------------
# Win detection, crafted positions
# ---------------------------------------------------------------------------


def _place_then_play(game, player, stones, last_cells) -> rules.State:
    """One board per entry: ``stones[b]`` put down directly for ``player``, then
    ``player`` plays the cell ``last_cells[b]`` through the engine. With gravity
    the cells under the last stone count as filled (the win check only reads
    the mover's stones), so any cell can be played."""
    state = rules.initial(game, len(last_cells))
    for b, cells in enumerate(stones):
        for cell in cells:
            state.planes[b, player].reshape(-1)[cell] = 1
            if game.uses_bitboards:
                state.bits[b, player] |= rules._cell_bits(game)[cell]
    rows, cols = np.divmod(np.asarray(last_cells), game.cols)
    if game.gravity:
        state.heights[np.arange(len(last_cells)), cols] = game.rows - 1 - rows
    state.to_move[:] = player
    assert not rules.has_line(game, state.planes[:, player]).any()
    rules.step_unchecked(game, state, cols if game.gravity else np.asarray(last_cells))
    return state


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
@pytest.mark.parametrize("player", [0, 1])
def test_every_line_wins_whichever_of_its_stones_comes_last(game, player):
    """Every line (all four directions, at every edge and corner), completed by
    each of its k cells in turn, wins; k-1 of its stones do not."""
    cases = [(np.delete(line, last), line[last]) for line in game.lines for last in range(game.k)]
    state = _place_then_play(game, player, [stones for stones, _ in cases], [last for _, last in cases])
    assert (state.winner == player).all() and state.terminated.all()
    np.testing.assert_array_equal(rules.returns(state)[:, player], 1.0)
    # The same k-1 stones, the last of them played through the engine: no win.
    state = _place_then_play(game, player, [stones[:-1] for stones, _ in cases], [stones[-1] for stones, _ in cases])
    assert not state.terminated.any() and (state.winner == rules.NO_WINNER).all()


def _wrapping_runs(game) -> list[list[int]]:
    """k cells consecutive in reading order across a row end, and k cells
    running from the top of one column on at the bottom of the next: runs in
    the flat cell order or the bitboard bit order that are not lines."""
    k, rows, cols = game.k, game.rows, game.cols
    across_rows = [list(range(r * cols + cols - k // 2, r * cols + cols - k // 2 + k)) for r in range(rows - 1)]
    top, bottom = (k + 1) // 2, k // 2
    up_columns = [[row * cols + c for row in range(top)] + [(rows - 1 - i) * cols + c + 1 for i in range(bottom)]
                  for c in range(cols - 1)]
    return across_rows + up_columns


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_runs_that_wrap_around_an_edge_do_not_win(game):
    runs = _wrapping_runs(game)
    assert not rules.has_line(game, np.isin(np.arange(game.n_cells), runs[0]).reshape(1, game.rows, game.cols)).any()
    state = _place_then_play(game, 0, [run[:-1] for run in runs], [run[-1] for run in runs])
    assert not state.terminated.any()


def test_a_win_on_the_move_that_fills_the_board_is_a_win():
    # X: 0 1 4 5 8 (the 0-4-8 diagonal, completed by the ninth stone); O: 2 3 6 7.
    moves = [0, 2, 1, 3, 4, 6, 5, 7, 8]
    board = rules.board_from_moves(TICTACTOE, moves)
    assert board.terminated and board.winner == 0 and board.num_moves == 9
    state = rules.replay(TICTACTOE, moves)
    assert state.terminated[0] and state.winner[0] == 0
    np.testing.assert_array_equal(rules.returns(state), [[1.0, -1.0]])
    np.testing.assert_array_equal(state.planes[0], rules.parse_board(TICTACTOE, """
        X X O
        O X X
        O O X
    """))


def test_connect_four_win_with_the_42nd_stone_is_a_win():
    moves = "745461523542566364152756446731221312717733"  # found among seeded random games
    board = rules.board_from_moves(CONNECT_FOUR, moves)
    assert (board.num_moves, board.terminated, board.winner) == (42, True, 1)
    np.testing.assert_array_equal(board.planes, rules.parse_board(CONNECT_FOUR, """
        O O O O X X O
        X O X X O O X
        X X O O X X X
        O X X X O X O
        X O O O X O O
        O O X O X X X
    """))
    before_last = rules.board_from_moves(CONNECT_FOUR, moves[:-1])
    assert not before_last.terminated and before_last.legal_moves() == [2]
    state = rules.replay(CONNECT_FOUR, moves)
    assert state.winner[0] == 1 and state.terminated[0]


def test_a_full_board_without_a_line_is_a_draw():
    board = rules.board_from_moves(TICTACTOE, [0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert board.terminated and board.winner == rules.NO_WINNER
    assert board.returns() == (0.0, 0.0)
    assert board.legal_moves() == [] and not board.legal_mask().any()


def test_connect_four_ascii_position_and_observation_views():
    board = rules.board_from_moves(CONNECT_FOUR, "4453")
    expected = rules.parse_board(CONNECT_FOUR, """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . O . . .
        . . O X X . .
        1 2 3 4 5 6 7
    """)
    np.testing.assert_array_equal(board.planes, expected)
    np.testing.assert_array_equal(board.observe(0), expected)
    np.testing.assert_array_equal(board.observe(1), expected[::-1])
    assert rules.render_ansi(CONNECT_FOUR, board.planes).split("\n")[4:6] == [". . . O . . .", ". . O X X . ."]
    state = board.to_state()
    np.testing.assert_array_equal(rules.observe(CONNECT_FOUR, state)[0], expected)  # player_0 to move
    np.testing.assert_array_equal(rules.observe_as(CONNECT_FOUR, state, 1)[0], expected[::-1])


def test_column_fills_and_becomes_illegal():
    board = rules.board_from_moves(CONNECT_FOUR, "111111")
    assert board.heights[0] == 6 and board.legal_moves() == [1, 2, 3, 4, 5, 6]
    before = board.planes.copy()
    with pytest.raises(IllegalMoveError, match=r"move 0 is illegal; legal moves: \[1, 2, 3, 4, 5, 6\]"):
        board.play(0)
    np.testing.assert_array_equal(board.planes, before)
    assert board.to_move == 0 and board.num_moves == 6
    state = board.to_state()
    with pytest.raises(IllegalMoveError, match="illegal"):
        rules.step(CONNECT_FOUR, state, [0])
    with pytest.raises(IllegalMoveError, match="out of range"):
        rules.step(CONNECT_FOUR, state, [7])


@pytest.mark.parametrize("bad", [7, -1, 2.0, True, None, "3", np.array([1, 2])])
def test_board_rejects_malformed_moves_and_stays_unchanged(bad):
    board = rules.board_from_moves(CONNECT_FOUR, "44")
    with pytest.raises(IllegalMoveError, match="legal moves: \\[0, 1, 2, 3, 4, 5, 6\\]"):
        board.play(bad)
    assert board.moves == [3, 3] and board.to_move == 0
    assert board.play_if_legal(bad) is False and board.moves == [3, 3]


def test_board_accepts_numpy_integers():
    board = rules.Board(CONNECT_FOUR)
    board.play(np.int64(3))
    board.play(np.array(3))
    assert board.moves == [3, 3] and all(type(m) is int for m in board.moves)


def test_moves_after_the_end_are_rejected():
    board = rules.board_from_moves(CONNECT_FOUR, "1212121")
    assert board.winner == 0
    with pytest.raises(IllegalMoveError, match="ended"):
        board.play(3)
    for replay in (rules.board_from_moves, rules.replay):
        with pytest.raises(IllegalMoveError, match=r"move 8 \(3\) after '1212121' cannot be played: the game had already ended"):
            replay(CONNECT_FOUR, "12121213")
    with pytest.raises(IllegalMoveError, match=r"move 7 \(4\) after '444444' .* legal: 1, 2, 3, 5, 6, 7$"):
        rules.replay(CONNECT_FOUR, "44444444")
    with pytest.raises(IllegalMoveError, match="already ended"):
        rules.step(CONNECT_FOUR, rules.replay(CONNECT_FOUR, "1212121"), [2])


def test_reset_empties_the_board_and_earlier_observations_are_copies():
    board = rules.board_from_moves(CONNECT_FOUR, "1212121")
    kept_view, kept_mask = board.view(0)
    board.reset()
    assert board.num_moves == 0 and not board.terminated and board.winner == -1
    assert not board.planes.any() and board.legal_moves() == list(range(7))
    assert kept_view.sum() == 7 and not kept_mask.any()


# ---------------------------------------------------------------------------
# Symmetries
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("game, names", [
    (CONNECT_FOUR, ["identity", "mirror"]),
    (TICTACTOE, ["identity", "mirror", "flip", "rot180", "rot90", "rot270", "transpose", "antitranspose"]),
    (GOMOKU, ["identity", "mirror", "flip", "rot180", "rot90", "rot270", "transpose", "antitranspose"]),
], ids=lambda v: getattr(v, "name", None) or len(v))
def test_symmetries_form_a_group_of_distinct_permutations(game, names):
    symmetries = rules.symmetries(game)
    assert [s.name for s in symmetries] == names
    perms = {tuple(s.cell_perm) for s in symmetries}
    assert len(perms) == len(names)
    for a in symmetries:
        assert sorted(a.cell_perm) == list(range(game.n_cells))
        for b in symmetries:
            assert tuple(a.cell_perm[b.cell_perm]) in perms  # closed under composition


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_symmetries_commute_with_playing(game):
    """Replaying the transformed moves gives the transformed board, mask,
    observation and result: boards, masks and actions transform consistently."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        board = rules.Board(game)
        for _ in range(int(rng.integers(1, 40))):
            if board.terminated:
                break
            board.play(int(rng.choice(board.legal_moves())))
        for symmetry in rules.symmetries(game):
            moved = rules.board_from_moves(game, [int(symmetry.action(m)) for m in board.moves])
            np.testing.assert_array_equal(moved.planes, symmetry.planes(board.planes))
            np.testing.assert_array_equal(moved.legal_mask(), symmetry.per_action(board.legal_mask()))
            assert (moved.winner, moved.terminated) == (board.winner, board.terminated)
            values = rng.random(game.n_actions)
            chosen = int(values.argmax())
            assert int(symmetry.per_action(values).argmax()) == int(symmetry.action(chosen))


@pytest.mark.parametrize("game", GAMES, ids=lambda g: g.name)
def test_symmetries_of_an_empty_batch_are_empty(game):
    for symmetry in rules.symmetries(game):
        assert symmetry.planes(np.zeros((0, 2, game.rows, game.cols), np.int8)).shape == (0, 2, game.rows, game.cols)
        assert symmetry.per_action(np.zeros((0, game.n_actions), np.int8)).shape == (0, game.n_actions)
        assert symmetry.action(np.zeros(0, np.int64)).shape == (0,)


def test_connect_four_mirror_on_an_ascii_board():
    mirror = rules.symmetries(CONNECT_FOUR)[1]
    planes = rules.parse_board(CONNECT_FOUR, """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        O . . . . . .
        X X . . . . O
    """)
    np.testing.assert_array_equal(mirror.planes(planes), rules.parse_board(CONNECT_FOUR, """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . O
        O . . . . X X
    """))
    np.testing.assert_array_equal(mirror.per_action(np.arange(7)), [6, 5, 4, 3, 2, 1, 0])


# ---------------------------------------------------------------------------
# Codec and ASCII boards
# ---------------------------------------------------------------------------


def test_codec_round_trips():
    assert rules.decode_moves(CONNECT_FOUR, "4453") == [3, 3, 4, 2]
    assert rules.encode_moves(CONNECT_FOUR, [3, 3, 4, 2]) == "4453"
    assert rules.decode_moves(TICTACTOE, "048") == [0, 4, 8]
    assert rules.encode_moves(TICTACTOE, [0, 4, 8]) == "048"
    assert rules.encode_moves(GOMOKU, [112, 0, 224]) == "112,0,224"
    assert rules.decode_moves(GOMOKU, "112,0,224") == [112, 0, 224]
    assert rules.decode_moves(CONNECT_FOUR, "") == []


@pytest.mark.parametrize("game, text, message", [
    (CONNECT_FOUR, "408", "out of range 1..7"),
    (CONNECT_FOUR, "48", "out of range 1..7"),
    (CONNECT_FOUR, "4a", "bad move 'a'"),
    (TICTACTOE, "9", "out of range 0..8"),
    (GOMOKU, "1,225", "out of range 0..224"),
], ids=["zero", "eight", "letter", "ttt-nine", "gomoku-225"])
def test_codec_errors_name_the_bad_token(game, text, message):
    with pytest.raises(ValueError, match=message):
        rules.decode_moves(game, text)


def test_parse_board_round_trips_render_and_rejects_junk():
    board = rules.board_from_moves(TICTACTOE, "0481")
    text = rules.render_ansi(TICTACTOE, board.planes)
    assert text == "X O .\n. O .\n. . X\n"
    np.testing.assert_array_equal(rules.parse_board(TICTACTOE, text), board.planes)
    with pytest.raises(ValueError, match="expected 3 rows of 3 cells"):
        rules.parse_board(TICTACTOE, "X O\n. .")
    with pytest.raises(ValueError, match="bad cell 'Z'"):
        rules.parse_board(TICTACTOE, "X Z .\n. . .\n. . .")
