"""The `autoencoder` and `bovw` encoders: shapes, determinism, exact features on
known boards, and checkpoints that restore them without refitting."""

import numpy as np
import pytest
import torch

from boardgym.agents.checkpoint import load_checkpoint, load_policy
from boardgym.agents.dqn import DQNConfig, DQNLearner
from boardgym.agents.encoders import make_encoder
from boardgym.agents.pipeline_encoders import (AutoencoderEncoder, BovwEncoder, collect_positions,
                                               rendering_matrix)
from boardgym.agents.selfplay import OpponentPool, SelfPlayConfig, SelfPlayTrainer
from boardgym.envs import rules
from boardgym.pipelines.bovw import extract_patches
from boardgym.pipelines.datasets import render_positions

torch.set_num_threads(1)

# Small fits: a second or so each.
SMALL = {
    "autoencoder": {"positions": 600, "epochs": 2, "hidden_sizes": [32], "latent_size": 8},
    "autoencoder image": {"view": "image", "positions": 300, "epochs": 1, "hidden_sizes": [32], "latent_size": 8},
    "bovw": {"positions": 200, "n_words": 6, "n_init": 1},
    "bovw patch-autoencoder planes": {"positions": 200, "n_words": 6, "n_init": 1, "patch_encoder": "autoencoder",
                                      "epochs": 2, "concat_planes": True},
}
EXPECTED_DIM = {"autoencoder": 8, "autoencoder image": 8, "bovw": 6, "bovw patch-autoencoder planes": 6 + 84}

# Stones only in the bottom-left corner: of the 3 x 4 windows of 4x4, only the three
# bottom ones starting in columns 0-2 hold a stone; the other nine are empty.
CONNECT_FOUR_BOARD = """
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
X O X . . . .
"""


def build(variant: str, seed: int = 0, game: str = "connect_four"):
    return make_encoder(variant.split()[0], game, seed=seed, **SMALL[variant])


@pytest.fixture(scope="module")
def positions():
    return collect_positions("connect_four", 64, seed=11)


def test_collected_positions_are_legal_and_seen_by_the_mover():
    planes = collect_positions("connect_four", 500, seed=3)
    assert planes.shape == (500, 2, 6, 7) and planes.dtype == np.int8
    # From the mover's view the opponent has as many stones, or one more (the mover is second).
    stone_lead = planes[:, 1].sum(axis=(1, 2)) - planes[:, 0].sum(axis=(1, 2))
    assert set(np.unique(stone_lead)) == {0, 1}
    assert not (planes[:, 0] & planes[:, 1]).any()
    # Gravity: no stone floats above an empty cell.
    occupied = planes.sum(axis=1)
    assert (occupied[:, :-1] <= occupied[:, 1:]).all()
    np.testing.assert_array_equal(planes, collect_positions("connect_four", 500, seed=3))
    assert collect_positions("connect_four", 4, play="greedy", seed=1).shape == (4, 2, 6, 7)


@pytest.mark.parametrize("variant", list(SMALL))
def test_output_shape_and_determinism(variant, positions):
    first, again, other = build(variant, seed=5), build(variant, seed=5), build(variant, seed=6)
    features = first(torch.as_tensor(positions))
    assert features.shape == (len(positions), EXPECTED_DIM[variant]) == (len(positions), first.output_dim)
    assert features.dtype == torch.float32
    torch.testing.assert_close(again(torch.as_tensor(positions)), features, rtol=0, atol=0)
    for key, value in first.state_dict().items():
        assert torch.equal(value, again.state_dict()[key]), key
    assert not torch.equal(other(torch.as_tensor(positions)), features)


def test_bovw_histogram_of_known_boards():
    encoder = build("bovw", seed=1)
    empty = np.zeros((1, 2, 6, 7), dtype=np.int8)
    board = rules.parse_board(rules.CONNECT_FOUR, CONNECT_FOUR_BOARD)[None]
    histograms = encoder(torch.as_tensor(np.concatenate([empty, board]))).numpy()
    # A 6x7 board has 3 x 4 = 12 windows of 4x4; each votes for one word.
    np.testing.assert_allclose(histograms.sum(axis=1), 1.0)
    np.testing.assert_allclose(histograms * 12, np.round(histograms * 12), atol=1e-6)
    # The empty board: all 12 windows are the empty patch, so one word holds everything.
    empty_word = encoder.vocabulary().assign(np.zeros((1, 32)))[0]
    assert histograms[0, empty_word] == 1.0
    # The drawn board: the nine empty windows vote for that word (non-empty ones may too);
    # the whole histogram is the pipelines vocabulary's over the pipelines patches.
    assert histograms[1, empty_word] >= 9 / 12
    expected = encoder.vocabulary().histogram(extract_patches(board, 4).astype(np.float32))
    np.testing.assert_allclose(histograms[1], expected[0], atol=1e-7)


def test_bovw_window_is_capped_by_small_boards():
    encoder = make_encoder("bovw", "tictactoe", positions=100, n_words=3, n_init=1)
    assert encoder.window == 3 and encoder.config()["window"] == 3
    histograms = encoder(torch.as_tensor(collect_positions("tictactoe", 20, seed=2))).numpy()
    # One window covers the whole 3x3 board: every histogram is one-hot.
    assert set(np.unique(histograms)) <= {0.0, 1.0} and (histograms.sum(axis=1) == 1).all()


def test_image_view_is_the_pipelines_rendering(positions):
    flat = torch.as_tensor(positions).float().flatten(1)
    expected = render_positions(positions).reshape(len(positions), -1)
    np.testing.assert_allclose((flat @ rendering_matrix(rules.CONNECT_FOUR)).numpy(), expected, atol=1e-6)
    assert build("autoencoder image").body[0].in_features == 28 * 28


@pytest.mark.parametrize("name", ["autoencoder", "bovw"])
def test_an_unfitted_skeleton_refuses_to_encode(name, positions):
    skeleton = make_encoder(name, "connect_four", fit=False)
    with pytest.raises(RuntimeError, match="not fitted"):
        skeleton(torch.as_tensor(positions))


@pytest.mark.parametrize("name, config, field", [
    ("autoencoder", {"view": "pixels"}, "autoencoder.view"),
    ("autoencoder", {"latent_size": 0}, "autoencoder.latent_size"),
    ("bovw", {"patch_encoder": "sift"}, "bovw.patch_encoder"),
    ("bovw", {"n_words": 0}, "bovw.n_words"),
])
def test_bad_config_names_the_field(name, config, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        make_encoder(name, "connect_four", fit=False, **config)


def test_fit_rejects_positions_of_another_board():
    with pytest.raises(ValueError, match=r"\(N, 2, 6, 7\)"):
        make_encoder("bovw", "connect_four", fit=False).fit(np.zeros((5, 2, 3, 3), dtype=np.int8))


@pytest.mark.parametrize("variant", ["autoencoder", "bovw patch-autoencoder planes"])
def test_checkpoint_round_trip_gives_identical_actions_without_refitting(variant, positions, tmp_path, monkeypatch):
    torch.manual_seed(0)
    encoder = build(variant, seed=2)
    config = DQNConfig(encoder=encoder.name, learning_starts=64, batch_size=32, buffer_size=2_000, train_frequency=4,
                       hidden=32)
    learner = DQNLearner("connect_four", config, encoder=encoder, seed=2)
    selfplay = SelfPlayConfig(num_envs=16, opponents="self=1", eval_interval=0, eval_at_end=False)
    trainer = SelfPlayTrainer(learner, OpponentPool(learner, selfplay.opponents, seed=2), selfplay, seed=2,
                              run_dir=tmp_path)
    trainer.run(400)
    assert learner.gradient_steps > 0

    def no_refit(*args, **kwargs):
        raise AssertionError("loading a checkpoint must not refit the encoder")

    for encoder_class in (AutoencoderEncoder, BovwEncoder):
        monkeypatch.setattr(encoder_class, "fit", no_refit)
    checkpoint = load_checkpoint(tmp_path / "latest.pt")
    assert checkpoint["encoder"] == {"name": encoder.name, "config": encoder.config()}
    loaded = load_policy(tmp_path / "latest.pt", "connect_four")
    masks = (positions[:, :, 0, :].sum(axis=1) == 0).astype(np.int8)  # a column is open while its top cell is empty
    expected = learner.frozen_policy().act(positions, masks, greedy=True)
    np.testing.assert_array_equal(loaded.act(positions, masks), expected)
    torch.testing.assert_close(loaded.policy.network(torch.as_tensor(positions).float()),
                               learner.network(torch.as_tensor(positions).float()), rtol=0, atol=0)


def test_train_encoder_option_sets_the_learners_encoder(tmp_path):
    from boardgym.agents.training import TrainConfig, build_trainer

    trainer = build_trainer(TrainConfig(game="tictactoe", algo="reinforce", encoder="bovw", seed=3,
                                        logdir=str(tmp_path), quiet=True))
    assert trainer.learner.encoder.name == "bovw"
    assert trainer.learner.encoder.config()["seed"] == 3
    trainer.logger.close()
