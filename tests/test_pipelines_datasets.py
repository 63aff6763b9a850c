"""pipelines.datasets: IDX files, digits as 28x28, board positions as planes and
images, and the readers of shared/data checked against hand-decoded rows."""

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from boardgym.envs import rules
from boardgym.pipelines import datasets

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UCI_CONNECT4 = DATA / "uci_connect4_sample30" / "connect-4.sample30.data"
UCI_TICTACTOE = DATA / "uci_tictactoe" / "tic-tac-toe.data"
PONS = DATA / "pons_connect4"
C4 = rules.CONNECT_FOUR


def board(text: str, marks: str = "XO", game=C4) -> np.ndarray:
    return rules.parse_board(game, text, marks)


# ---------------------------------------------------------------------------
# IDX
# ---------------------------------------------------------------------------


def idx_bytes(type_code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    header = bytes([0, 0, type_code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)
    return header + payload


def test_idx_reader_reads_uint8_images_plain_and_gzipped(tmp_path):
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    raw = idx_bytes(0x08, (2, 3, 4), images.tobytes())
    (tmp_path / "images.idx").write_bytes(raw)
    # Gzip is told by the content, not the name.
    (tmp_path / "images-gzipped.idx").write_bytes(gzip.compress(raw))
    for name in ("images.idx", "images-gzipped.idx"):
        read = datasets.read_idx(tmp_path / name)
        assert read.dtype == np.uint8 and read.shape == (2, 3, 4)
        np.testing.assert_array_equal(read, images)


def test_idx_reader_decodes_big_endian_int32(tmp_path):
    values = [1, -2, 70000]
    payload = b"".join(v.to_bytes(4, "big", signed=True) for v in values)
    path = tmp_path / "ints.idx"
    path.write_bytes(idx_bytes(0x0C, (3,), payload))
    assert datasets.read_idx(path).tolist() == values


def test_idx_images_and_labels_load_scaled(tmp_path):
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    (tmp_path / "x").write_bytes(gzip.compress(idx_bytes(0x08, (1, 2, 2), images.tobytes())))
    (tmp_path / "y").write_bytes(idx_bytes(0x08, (1,), bytes([7])))
    scaled, labels = datasets.load_idx_images(tmp_path / "x", tmp_path / "y")
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[[0.0, 1.0], [0.2, 0.4]]], rtol=1e-6)
    assert labels.tolist() == [7]


def test_idx_reader_rejects_bad_magic_and_truncated_data(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(idx_bytes(0x08, (2, 2), b"\x00\x01\x02"))
    with pytest.raises(ValueError, match=r"shape \(2, 2\) \(4 bytes of data\), file has 3"):
        datasets.read_idx(tmp_path / "short")


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------


def test_resize_matches_torch_bilinear():
    images = np.random.default_rng(0).random((3, 8, 8))
    expected = torch.nn.functional.interpolate(torch.tensor(images)[:, None], size=(28, 28), mode="bilinear",
                                               align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(datasets.resize_images(images, 28), expected, atol=1e-6)


def test_digits_are_28x28_in_unit_range():
    images, labels = datasets.digits_28x28()
    assert images.shape == (1797, 28, 28) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == pytest.approx(1.0)
    assert labels[:10].tolist() == list(range(10))


def test_load_sklearn_knows_its_names():
    X, y = datasets.load_sklearn("wine")
    assert X.shape == (178, 13) and sorted(set(y)) == [0, 1, 2]
    with pytest.raises(ValueError, match="unknown scikit-learn data set 'mnist'"):
        datasets.load_sklearn("mnist")


def test_render_connect_four_position():
    planes = board("""
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . O . . .
        . . X X . . .
    """)[None]
    images = datasets.render_positions(planes)
    assert images.shape == (1, 28, 28) and images.dtype == np.float32
    # Cells are 4x4 pixels; the 24-pixel-high board sits 2 pixels below the top.
    cell = lambda r, c: images[0, 2 + 4 * r:2 + 4 * r + 4, 4 * c:4 * c + 4]  # noqa: E731
    assert (cell(5, 2) == 1.0).all() and (cell(5, 3) == 1.0).all()
    assert (cell(4, 3) == 0.5).all()
    assert (cell(0, 0) == 0.0).all()
    assert images[0, :2].max() == 0.0 and images[0, 26:].max() == 0.0
    assert images.sum() == pytest.approx(16 * (1.0 + 1.0 + 0.5))


def test_render_tictactoe_uses_9_pixel_cells():
    planes = board("X . .\n. O .\n. . .", game=rules.TICTACTOE)[None]
    image = datasets.render_positions(planes)[0]
    assert (image[0:9, 0:9] == 1.0).all() and (image[9:18, 9:18] == 0.5).all()
    assert image.sum() == pytest.approx(81 * 1.5)


def test_render_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"planes must be \(N, 2, rows, cols\)"):
        datasets.render_positions(np.zeros((2, 6, 7)))


def test_random_positions_are_running_games_from_the_movers_view():
    positions = datasets.random_positions("connect_four", 500, seed=3)
    assert positions.shape == (500, 2, 6, 7) and positions.dtype == np.int8
    own, other = positions[:, 0].sum(axis=(1, 2)), positions[:, 1].sum(axis=(1, 2))
    # The mover has as many stones as the other player (first player to move) or one fewer.
    assert set((own - other).tolist()) == {0, -1}
    assert not rules.has_line(C4, positions[:, 0]).any() and not rules.has_line(C4, positions[:, 1]).any()
    np.testing.assert_array_equal(positions, datasets.random_positions("connect_four", 500, seed=3))
    assert not np.array_equal(positions, datasets.random_positions("connect_four", 500, seed=4))


# ---------------------------------------------------------------------------
# UCI Connect-4
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uci_connect4():
    return datasets.read_uci_connect4(UCI_CONNECT4)


def test_uci_connect4_first_row_hand_decoded(uci_connect4):
    # b,b,b,b,b,b, b,b,b,b,b,b, x,o,b,b,b,b, x,o,x,o,x,o, b... ,win
    # column c (3rd): x at the bottom, o above; column d: x,o,x,o,x,o bottom-up.
    planes, outcomes = uci_connect4
    expected = board("""
        . . . O . . .
        . . . X . . .
        . . . O . . .
        . . . X . . .
        . . O O . . .
        . . X X . . .
    """)
    np.testing.assert_array_equal(planes[0], expected)
    assert outcomes[0] == 1


def test_uci_connect4_loss_and_draw_rows_hand_decoded(uci_connect4):
    planes, outcomes = uci_connect4
    # line 10: c1=o c2=o, d1..d5 = x,o,x,o,x, e1=x -> loss
    np.testing.assert_array_equal(planes[9], board("""
        . . . . . . .
        . . . X . . .
        . . . O . . .
        . . . X . . .
        . . O O . . .
        . . O X X . .
    """))
    assert outcomes[9] == -1
    # line 2: b1=x, c1=o, d1..d6 = x,o,x,o,x,o -> draw
    np.testing.assert_array_equal(planes[1], board("""
        . . . O . . .
        . . . X . . .
        . . . O . . .
        . . . X . . .
        . . . O . . .
        . X O X . . .
    """))
    assert outcomes[1] == 0


def test_uci_connect4_whole_sample_matches_its_readme(uci_connect4):
    planes, outcomes = uci_connect4
    assert planes.shape == (20267, 2, 6, 7) and planes.dtype == np.int8
    assert [int((outcomes == v).sum()) for v in (1, -1, 0)] == [13312, 4981, 1974]
    assert (planes.sum(axis=(2, 3)) == 4).all()  # 4 x and 4 o in every row
    # Stones are stacked from the bottom: no empty cell below a stone.
    occupied = planes.any(axis=1)
    assert (occupied[:, :-1] <= occupied[:, 1:]).all()


def test_uci_reader_names_the_bad_line(tmp_path):
    good = ",".join(["b"] * 42) + ",win"
    (tmp_path / "bad").write_text(good + "\n" + ",".join(["b"] * 41 + ["q"]) + ",win\n")
    with pytest.raises(ValueError, match=r"line 2: cells must be x, o or b, got \['q'\]"):
        datasets.read_uci_connect4(tmp_path / "bad")
    (tmp_path / "label").write_text(",".join(["b"] * 42) + ",won\n")
    with pytest.raises(ValueError, match="line 1: label 'won'"):
        datasets.read_uci_connect4(tmp_path / "label")
    (tmp_path / "short").write_text("b,b,win\n")
    with pytest.raises(ValueError, match="line 1: expected 43 fields, got 3"):
        datasets.read_uci_connect4(tmp_path / "short")


# ---------------------------------------------------------------------------
# Pons
# ---------------------------------------------------------------------------


def test_pons_readme_examples_hand_decoded(tmp_path):
    (tmp_path / "examples").write_text("4455 18\n44455554221 -15\n")
    planes, scores = datasets.read_pons(tmp_path / "examples")
    assert scores.tolist() == [18, -15]
    # 4455: X d1, O d2, X e1, O e2; X (first player) to move, so plane 0 = X.
    np.testing.assert_array_equal(planes[0], board("""
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . O O . .
        . . . X X . .
    """))
    # 44455554221: 11 stones, the second player (O) to move, so plane 0 = O.
    np.testing.assert_array_equal(planes[1], board("""
        . . . . . . .
        . . . . . . .
        . . . O X . .
        . . . X O . .
        . O . O X . .
        X X . X O . .
    """, marks="OX"))


@pytest.mark.parametrize("name, wins, draws, losses", [("Test_L2_R1", 548, 12, 440), ("Test_L3_R1", 327, 432, 241)])
def test_pons_files_match_their_readme(name, wins, draws, losses):
    planes, scores = datasets.read_pons(PONS / name)
    assert planes.shape == (1000, 2, 6, 7)
    assert [int((scores > 0).sum()), int((scores == 0).sum()), int((scores < 0).sum())] == [wins, draws, losses]
    first_line = (PONS / name).read_text().splitlines()[0].split()
    assert scores[0] == int(first_line[1])
    np.testing.assert_array_equal(planes[0], rules.observe(C4, rules.replay(C4, first_line[0]))[0])
    own, other = planes[:, 0].sum(axis=(1, 2)), planes[:, 1].sum(axis=(1, 2))
    assert set((own - other).tolist()) <= {0, -1}


def test_pons_reader_rejects_bad_lines(tmp_path):
    (tmp_path / "a").write_text("4455 18\n4455\n")
    with pytest.raises(ValueError, match="line 2: expected '<moves> <score>'"):
        datasets.read_pons(tmp_path / "a")
    (tmp_path / "b").write_text("4444444 0\n")
    with pytest.raises(ValueError, match=r"line 1: move 7 \(4\) after '444444' cannot be played"):
        datasets.read_pons(tmp_path / "b")
    (tmp_path / "c").write_text("1212121 0\n")
    with pytest.raises(ValueError, match="line 1: the game is already over"):
        datasets.read_pons(tmp_path / "c")


# ---------------------------------------------------------------------------
# UCI tic-tac-toe
# ---------------------------------------------------------------------------


def test_uci_tictactoe_rows_hand_decoded():
    planes, x_won = datasets.read_uci_tictactoe(UCI_TICTACTOE)
    assert planes.shape == (958, 2, 3, 3) and int(x_won.sum()) == 626
    # line 1: x,x,x,x,o,o,x,o,o,positive
    np.testing.assert_array_equal(planes[0], board("X X X\nX O O\nX O O", game=rules.TICTACTOE))
    assert x_won[0] == 1
    # line 627: x,x,o,x,x,o,o,b,o,negative (o has the right column)
    np.testing.assert_array_equal(planes[626], board("X X O\nX X O\nO . O", game=rules.TICTACTOE))
    assert x_won[626] == 0
    # README: positive exactly when x has a line.
    np.testing.assert_array_equal(x_won.astype(bool), rules.has_line(rules.TICTACTOE, planes[:, 0]))
