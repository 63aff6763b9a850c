"""The single-agent Gymnasium environments: registration, Gymnasium's checker,
the opponent inside step, rewards from the learner's view, seeding, illegal
moves and rendering."""

import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import boardgym.envs  # noqa: F401  (registers the ids)
from boardgym.envs import IllegalMoveError
from boardgym.envs.gym_env import ConnectFourEnv, TicTacToeEnv
from boardgym.envs.rules import CONNECT_FOUR, parse_board


class LowestColumn:
    """A deterministic opponent: the legal move with the lowest index; counts
    its seed() calls."""

    def __init__(self):
        self.seeds = []

    def act(self, observation, action_mask, *, greedy=True):
        return np.asarray(action_mask).argmax(axis=1)

    def seed(self, seed):
        self.seeds.append(seed)


class Cheater:
    """Plays move 0 whatever the mask says."""

    def act(self, observation, action_mask, *, greedy=True):
        return np.zeros(len(action_mask), dtype=np.int64)


@pytest.mark.parametrize("env_id", ["boardgym/ConnectFour-v0", "boardgym/TicTacToe-v0", "boardgym/Gomoku-v0"])
def test_gymnasium_env_checker_passes(env_id, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # render_mode="human" is checked too, headless
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker reports problems as warnings
        check_env(gym.make(env_id).unwrapped)
        check_env(gym.make(env_id, opponent="greedy", learner_seat="random", illegal_move="lose").unwrapped)


def test_make_adds_no_wrapper_unless_asked():
    assert isinstance(gym.make("boardgym/TicTacToe-v0"), TicTacToeEnv)
    checked = gym.make("boardgym/TicTacToe-v0", disable_env_checker=False)
    assert isinstance(checked, gym.wrappers.PassiveEnvChecker)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked.reset(seed=0)
        checked.step(4)


def test_make_by_module_prefixed_id_and_kwargs():
    env = gym.make("boardgym.envs:boardgym/ConnectFour-v0", opponent="greedy", learner_seat=1)
    assert isinstance(env.unwrapped, ConnectFourEnv)
    assert env.unwrapped.learner_seat == 1 and type(env.unwrapped.opponent).__name__ == "GreedyPolicy"


def test_learner_wins_and_loses_with_rewards_from_its_own_view():
    env = ConnectFourEnv(opponent=LowestColumn())
    env.reset(seed=0)
    rewards = [env.step(3)[1:3] for _ in range(4)]  # learner: column 3; opponent: column 0
    assert rewards == [(0.0, False)] * 3 + [(1.0, True)]
    env = ConnectFourEnv(opponent=LowestColumn(), learner_seat=1)
    observation, info = env.reset(seed=0)  # the opponent has opened in column 0
    np.testing.assert_array_equal(observation["observation"][1].sum(), 1)
    outcomes = []
    for _ in range(3):
        observation, reward, terminated, _, _ = env.step(3)
        outcomes.append((reward, terminated))
    assert outcomes == [(0.0, False)] * 2 + [(-1.0, True)]  # the opponent's reply made four
    board = parse_board(CONNECT_FOUR, """
        . . . . . . .
        . . . . . . .
        X . . . . . .
        X . . O . . .
        X . . O . . .
        X . . O . . .
    """)  # X = player_0, the opponent; O = the learner
    np.testing.assert_array_equal(observation["observation"], board[::-1])


def test_final_observation_has_an_empty_mask_and_info_repeats_the_mask():
    env = ConnectFourEnv(opponent=LowestColumn())
    observation, info = env.reset(seed=0)
    np.testing.assert_array_equal(info["action_mask"], observation["action_mask"])
    assert info["action_mask"] is not observation["action_mask"]
    for _ in range(4):
        observation, reward, terminated, truncated, info = env.step(3)
    assert terminated and not truncated and reward == 1.0
    assert observation["action_mask"].tolist() == [0] * 7 and info["action_mask"].tolist() == [0] * 7
    assert observation["observation"][0].sum() == 4 and observation["observation"][1].sum() == 3


def _episode(env, seed, rng_seed=0):
    """Observations and rewards of one episode with seeded random learner moves."""
    rng = np.random.default_rng(rng_seed)
    observation, _ = env.reset(seed=seed)
    trace = [observation["observation"].copy()]
    terminated = False
    while not terminated:
        action = int(rng.choice(np.flatnonzero(observation["action_mask"])))
        observation, reward, terminated, _, _ = env.step(action)
        trace.append((observation["observation"].copy(), reward))
    return trace


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x[0] if isinstance(x, tuple) else x,
                                                   y[0] if isinstance(y, tuple) else y) for x, y in zip(a, b))


def test_same_seed_same_game_different_seeds_differ():
    env = ConnectFourEnv(opponent="random", learner_seat="random")
    first = _episode(env, seed=5)
    _episode(env, seed=6)
    assert _same(first, _episode(env, seed=5))
    assert _same(first, _episode(ConnectFourEnv(opponent="random", learner_seat="random"), seed=5))
    others = [_episode(env, seed=s) for s in range(10, 14)]
    assert not all(_same(first, other) for other in others)
    seats = {int(ConnectFourEnv(learner_seat="random").reset(seed=s)[0]["observation"][1].sum()) for s in range(20)}
    assert seats == {0, 1}  # the seat is drawn: some episodes open with the opponent's stone


def test_reset_seed_reseeds_an_opponent_that_has_a_seed_method():
    opponent = LowestColumn()
    env = ConnectFourEnv(opponent=opponent)
    env.reset(seed=3)
    env.reset()
    env.reset(seed=3)
    assert len(opponent.seeds) == 2 and opponent.seeds[0] == opponent.seeds[1]


@pytest.mark.parametrize("bad, message", [
    (0, r"move 0 is illegal here .*; legal moves: \[1, 2, 3, 4, 5, 6\]"),
    (9, "move 9 is illegal here"),
    (1.0, r"1.0 \(float\) is not a move: a move is one integer; legal moves: \[1, 2, 3, 4, 5, 6\]"),
    (np.array([1]), r"array\(\[1\]\) \(ndarray\) is not a move"),
    (None, r"None \(NoneType\) is not a move"),
], ids=["full", "range", "float", "shape", "none"])
def test_illegal_moves_raise_and_change_nothing(bad, message):
    env = ConnectFourEnv(opponent=LowestColumn())
    env.reset(seed=0)
    for _ in range(3):
        env.step(0)  # learner and opponent fill column 0 alternately
    before = (env.board.planes.copy(), list(env.board.moves))
    with pytest.raises(IllegalMoveError, match=message):
        env.step(bad)
    np.testing.assert_array_equal(env.board.planes, before[0])
    assert env.board.moves == before[1]
    env.step(np.int64(2))
    assert env.board.moves[-2:] == [2, 1]


def test_illegal_move_lose_mode():
    env = TicTacToeEnv(opponent=LowestColumn(), illegal_move="lose")
    env.reset(seed=0)
    env.step(4)  # the opponent answers in cell 0
    observation, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert observation["action_mask"].tolist() == [0] * 9
    with pytest.raises(IllegalMoveError, match="call reset"):
        env.step(1)


def test_step_before_reset_or_after_the_end_raises():
    env = ConnectFourEnv()
    with pytest.raises(IllegalMoveError, match="call reset"):
        env.step(0)


def test_opponent_that_plays_illegally_is_reported():
    env = TicTacToeEnv(opponent=Cheater())
    env.reset(seed=0)
    env.step(4)  # the opponent takes cell 0
    with pytest.raises(IllegalMoveError, match=r"the opponent .* chose 0, not a legal move; legal moves: \[1, 2, 3, 5, 6, 7\]"):
        env.step(8)  # ... and then wants cell 0 again


@pytest.mark.parametrize("kwargs, message", [
    ({"learner_seat": 2}, "learner_seat must be 0, 1 or 'random'"),
    ({"learner_seat": True}, "learner_seat must be 0, 1 or 'random'"),
    ({"illegal_move": "pass"}, "illegal_move must be one of"),
    ({"opponent": "nobody"}, "unknown opponent 'nobody'"),
    ({"render_mode": "video"}, "render_mode must be None or one of"),
])
def test_bad_arguments_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConnectFourEnv(**kwargs)


def test_unknown_reset_options_are_rejected():
    with pytest.raises(ValueError, match="options are not used"):
        ConnectFourEnv().reset(options={"learner_seat": 1})


def test_ansi_render_of_the_final_position_shows_every_stone():
    env = ConnectFourEnv(opponent=LowestColumn(), render_mode="ansi")
    env.reset(seed=0)
    for _ in range(4):
        env.step(3)
    text = env.render()
    rows = "".join(text.splitlines()[:6])
    assert rows.count("X") == 4 and rows.count("O") == 3
    assert text.endswith("player_0 (X) wins; the learner is player_0\n")
    assert text.splitlines()[5] == "O . . X . . ."


def test_human_render_without_pygame_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygame", None)
    env = ConnectFourEnv(render_mode="human")
    with pytest.raises(ModuleNotFoundError, match=r"pip install boardgym\[render\]"):
        env.reset(seed=0)


def test_greedy_opponent_blocks_an_open_three():
    env = ConnectFourEnv(opponent="greedy")
    env.reset(seed=1)
    for _ in range(3):
        observation, reward, terminated, _, _ = env.step(3)
    mine, theirs = observation["observation"]
    assert mine[3:, 3].tolist() == [1, 1, 1]  # three in column 3 ...
    assert theirs[2, 3] == 1 and not terminated  # ... capped by the opponent


def test_action_masks_method_follows_the_game():
    env = TicTacToeEnv(opponent=LowestColumn())
    observation, _ = env.reset(seed=0)
    np.testing.assert_array_equal(env.action_masks(), observation["action_mask"].astype(bool))
    env.step(4)  # the opponent answers in cell 0
    assert env.action_masks().tolist() == [False, True, True, True, False, True, True, True, True]
    for cell in (2, 6):  # the learner completes the 2-4-6 diagonal
        env.step(cell)
    assert not env.action_masks().any()


def test_maskable_ppo_learns_on_the_env_without_an_illegal_move():
    """sb3-contrib reads env.action_masks(); a wrong mask would make the env raise."""
    import torch
    from sb3_contrib import MaskablePPO

    torch.set_num_threads(1)
    env = gym.make("boardgym/TicTacToe-v0", opponent="random")
    model = MaskablePPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0)
    model.learn(128)
    assert model.num_timesteps == 128


def test_random_opponent_opens_uniformly_over_legal_moves():
    env = ConnectFourEnv(opponent="random", learner_seat=1)
    env.reset(seed=0)
    openings = [int(env.reset()[0]["observation"][1, 5].argmax()) for _ in range(7000)]
    counts = np.bincount(openings, minlength=7)
    assert counts.sum() == 7000 and counts.min() > 880 and counts.max() < 1120  # 1000 each, +-4 sigma
