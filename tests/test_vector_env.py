"""The batched vector environment: make_vec, next-step autoreset exactly,
agreement with the single-agent environment, seeding and bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import boardgym.envs  # noqa: F401  (registers the ids)
from boardgym.envs import IllegalMoveError
from boardgym.envs.gym_env import ConnectFourEnv, TicTacToeEnv
from boardgym.envs.vector_env import ConnectFourVectorEnv, TicTacToeVectorEnv


class LowestColumn:
    """A deterministic opponent: the legal move with the lowest index."""

    def act(self, observation, action_mask, *, greedy=True):
        return np.asarray(action_mask).argmax(axis=1)


def _random_legal(rng, mask):
    keys = rng.random(mask.shape)
    keys[mask == 0] = -1
    return keys.argmax(axis=1)


def test_make_vec_runs_the_batched_env():
    envs = gym.make_vec("boardgym/ConnectFour-v0", num_envs=4096, opponent="greedy")
    assert isinstance(envs, ConnectFourVectorEnv) and envs.num_envs == 4096
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert envs.observation_space["observation"].shape == (4096, 2, 6, 7)
    assert envs.observation_space["action_mask"].shape == (4096, 7)
    assert envs.single_action_space.n == 7 and envs.action_space.shape == (4096,)
    observation, info = envs.reset(seed=0)
    assert observation["observation"].dtype == np.int8 and observation["action_mask"].dtype == np.int8
    assert observation in envs.observation_space
    assert (observation["action_mask"] == 1).all() and not observation["observation"].any()


def test_next_step_autoreset_exactly():
    envs = ConnectFourVectorEnv(3, opponent=LowestColumn())
    envs.reset(seed=0)
    # The opponent plays the lowest legal column: column 0 while it has room.
    plans = [
        [3, 3, 3, 3],  # four in column 3 on the 4th move: a win
        [1, 2, 4, 5],  # no block: the opponent's 4th stone in column 0 wins
        [0, 6, 0, 6],  # blocks column 0 twice, which fills up: the game goes on
    ]
    for step in range(4):
        observation, rewards, terminated, truncated, info = envs.step(np.array([plan[step] for plan in plans]))
        if step < 3:
            assert not terminated.any() and not rewards.any()
    assert terminated.tolist() == [True, True, False] and not truncated.any()
    assert rewards.tolist() == [1.0, -1.0, 0.0]
    assert observation["action_mask"].tolist() == [[0] * 7, [0] * 7, [0, 1, 1, 1, 1, 1, 1]]
    np.testing.assert_array_equal(info["action_mask"], observation["action_mask"])
    stones = observation["observation"].sum(axis=(2, 3))  # (learner's, opponent's) per game
    assert stones.tolist() == [[4, 3], [4, 4], [4, 4]]  # final positions, every stone
    # Next step: games 0 and 1 restart (their actions are ignored, even illegal
    # ones); game 2 goes on with its move (the opponent replies in column 1).
    observation, rewards, terminated, truncated, info = envs.step(np.array([99, -5, 4]))
    assert not terminated.any() and not rewards.any()
    assert observation["observation"].sum(axis=(2, 3)).tolist() == [[0, 0], [0, 0], [5, 5]]
    assert observation["action_mask"].tolist() == [[1] * 7, [1] * 7, [0, 1, 1, 1, 1, 1, 1]]
    assert observation["observation"][2, 1, 5, 1] == 1


@pytest.mark.parametrize("learner_seat, expected", [
    (0, [(0.0, False, 1, 1), (0.0, False, 2, 2), (0.0, False, 3, 3),
         (1.0, True, 4, 3),   # the learner's winning move; the opponent does not reply
         (0.0, False, 0, 0),  # the reset step: action 42 ignored, a fresh board
         (0.0, False, 1, 1)]),
    (1, [(0.0, False, 1, 2), (0.0, False, 2, 3),
         (-1.0, True, 3, 4),  # the opponent's reply completes column 0
         (0.0, False, 0, 1),  # the reset step: the opponent has opened again
         (0.0, False, 1, 2), (0.0, False, 2, 3)]),
])
def test_autoreset_timeline_step_by_step(learner_seat, expected):
    envs = ConnectFourVectorEnv(1, opponent=LowestColumn(), learner_seat=learner_seat)
    envs.reset(seed=0)
    actions = [3, 3, 3, 3, 42, 3] if learner_seat == 0 else [3, 3, 3, 42, 3, 3]
    history = []
    for action in actions:
        observation, reward, terminated, _, _ = envs.step(np.array([action]))
        history.append((float(reward[0]), bool(terminated[0]),
                        int(observation["observation"][0, 0].sum()), int(observation["observation"][0, 1].sum())))
    assert history == expected


@pytest.mark.parametrize("vector_cls, single_cls", [(ConnectFourVectorEnv, ConnectFourEnv),
                                                    (TicTacToeVectorEnv, TicTacToeEnv)])
@pytest.mark.parametrize("learner_seat", [0, 1])
def test_vector_env_agrees_with_single_envs_through_autoresets(vector_cls, single_cls, learner_seat):
    n = 32
    envs = vector_cls(n, opponent=LowestColumn(), learner_seat=learner_seat)
    singles = [single_cls(opponent=LowestColumn(), learner_seat=learner_seat) for _ in range(n)]
    observation, _ = envs.reset(seed=0)
    single_obs = [env.reset(seed=0)[0] for env in singles]
    ended = [False] * n
    rng = np.random.default_rng(1)
    finished = 0
    for _ in range(60):
        for i in range(n):
            np.testing.assert_array_equal(observation["observation"][i], single_obs[i]["observation"])
            np.testing.assert_array_equal(observation["action_mask"][i], single_obs[i]["action_mask"])
        actions = _random_legal(rng, observation["action_mask"])
        observation, rewards, terminated, _, _ = envs.step(actions)
        for i, env in enumerate(singles):
            if ended[i]:
                single_obs[i], _ = env.reset()
                reward, done = 0.0, False
            else:
                single_obs[i], reward, done, _, _ = env.step(int(actions[i]))
            assert (rewards[i], terminated[i]) == (reward, done)
            ended[i] = done
            finished += done
    assert finished > 2 * n


def test_same_seed_same_trajectory_different_seed_differs():
    def trajectory(seed):
        envs = ConnectFourVectorEnv(16, opponent="random", learner_seat="random")
        observation, _ = envs.reset(seed=seed)
        rng = np.random.default_rng(0)
        frames = [observation["observation"].copy()]
        for _ in range(30):
            observation, rewards, *_ = envs.step(_random_legal(rng, observation["action_mask"]))
            frames.append(observation["observation"].copy())
        return np.stack(frames), envs.learner.copy()

    first, seats = trajectory(3)
    again, seats_again = trajectory(3)
    other, _ = trajectory(4)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(seats, seats_again)
    assert not np.array_equal(first, other)
    assert set(seats.tolist()) == {0, 1}


def test_illegal_action_raises_and_changes_nothing():
    envs = ConnectFourVectorEnv(4, opponent=LowestColumn())
    envs.reset(seed=0)
    for _ in range(3):
        envs.step(np.array([0, 1, 2, 3]))  # column 0 of game 0 is now full
    before = envs.state.copy()
    with pytest.raises(IllegalMoveError, match=r"sub-environment 0: move 0 is not legal; legal moves: \[1, 2, 3, 4, 5, 6\]"):
        envs.step(np.array([0, 1, 2, 3]))
    with pytest.raises(IllegalMoveError, match="sub-environment 2: move 7 is not legal"):
        envs.step(np.array([1, 1, 7, 3]))
    for name, value in vars(before).items():
        np.testing.assert_array_equal(getattr(envs.state, name), value)


@pytest.mark.parametrize("actions, message", [
    (np.array([1, 2, 3]), r"shape \(4,\), got shape \(3,\)"),
    (np.array([1.0, 2.0, 3.0, 4.0]), "must be integers, got dtype float64"),
])
def test_malformed_actions_raise(actions, message):
    """A malformed batch is a usage error (ValueError), not an illegal move, and changes nothing."""
    envs = ConnectFourVectorEnv(4)
    envs.reset(seed=0)
    before = envs.state.copy()
    with pytest.raises(ValueError, match=message) as raised:
        envs.step(actions)
    assert not isinstance(raised.value, IllegalMoveError)
    for name, value in vars(before).items():
        np.testing.assert_array_equal(getattr(envs.state, name), value)


def test_illegal_move_lose_ends_only_that_game():
    envs = TicTacToeVectorEnv(3, opponent=LowestColumn(), illegal_move="lose")
    envs.reset(seed=0)
    envs.step(np.array([4, 4, 4]))  # the opponent replies in cell 0 everywhere
    observation, rewards, terminated, _, _ = envs.step(np.array([0, 8, 9]))
    assert rewards.tolist() == [-1.0, 0.0, -1.0] and terminated.tolist() == [True, False, True]
    assert observation["action_mask"][[0, 2]].sum() == 0


def test_opponent_that_plays_illegally_is_reported():
    class Cheater:
        def act(self, observation, action_mask, *, greedy=True):
            return np.zeros(len(action_mask), dtype=np.int64)

    envs = TicTacToeVectorEnv(2, opponent=Cheater())
    envs.reset(seed=0)
    envs.step(np.array([4, 4]))
    with pytest.raises(IllegalMoveError, match=r"the opponent .* chose 0 in sub-environment 0"):
        envs.step(np.array([8, 8]))


def test_reset_mask_resets_only_the_chosen_games():
    envs = ConnectFourVectorEnv(3, opponent=LowestColumn())
    envs.reset(seed=0)
    envs.step(np.array([3, 3, 3]))
    observation, info = envs.reset(options={"reset_mask": np.array([True, False, True])})
    assert observation["observation"].sum(axis=(1, 2, 3)).tolist() == [0, 2, 0]
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": np.array([1, 0, 1])})
    with pytest.raises(ValueError, match="unknown reset options"):
        envs.reset(options={"seat": 1})


@pytest.mark.parametrize("kwargs, message", [
    ({"num_envs": 0}, "num_envs must be a positive integer"),
    ({"num_envs": 2, "learner_seat": "first"}, "learner_seat must be"),
    ({"num_envs": 2, "illegal_move": "skip"}, "illegal_move must be one of"),
    ({"num_envs": 2, "render_mode": "rgb_array"}, "does not render"),
])
def test_bad_arguments_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConnectFourVectorEnv(**kwargs)


def test_gymnasium_vector_wrappers_understand_the_autoreset_mode():
    """RecordEpisodeStatistics reads metadata["autoreset_mode"]; its episode
    returns and lengths must match the rewards and steps seen here."""
    envs = gym.wrappers.vector.RecordEpisodeStatistics(
        gym.make_vec("boardgym/TicTacToe-v0", num_envs=8, opponent="random"))
    observation, _ = envs.reset(seed=0)
    rng = np.random.default_rng(0)
    steps = np.zeros(8, dtype=int)
    resetting = np.zeros(8, dtype=bool)
    recorded = 0
    for _ in range(40):
        observation, rewards, terminated, _, info = envs.step(_random_legal(rng, observation["action_mask"]))
        steps = np.where(resetting, 0, steps + 1)
        if terminated.any():
            done = info["_episode"]
            np.testing.assert_array_equal(done, terminated)
            np.testing.assert_array_equal(info["episode"]["r"][done], rewards[done])
            np.testing.assert_array_equal(info["episode"]["l"][done], steps[done])
            recorded += int(done.sum())
        resetting = terminated
    assert recorded > 20
