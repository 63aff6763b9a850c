"""The PettingZoo AEC environments: PettingZoo's own conformance tests, the
terminal protocol, illegal moves, observations and rendering."""

import subprocess
import sys
import warnings

import numpy as np
import pettingzoo
import pytest
from pettingzoo.test import api_test, seed_test

from boardgym.envs import IllegalMoveError, connect_four_v0, gomoku_v0, tictactoe_v0
from boardgym.envs.rules import CONNECT_FOUR, TICTACTOE, parse_board

MODULES = [connect_four_v0, tictactoe_v0, gomoku_v0]


def _play(env, moves):
    for move in moves:
        env.step(move)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_pettingzoo_api_and_seed_tests_pass(module):
    with warnings.catch_warnings():
        # api_test warns that dict observations are not arrays, as it does for
        # PettingZoo's own board games.
        warnings.simplefilter("ignore")
        api_test(module.env(), num_cycles=300)
        seed_test(module.env, num_cycles=100)
        api_test(module.env(illegal_move="lose"), num_cycles=100)


def test_registered_in_pettingzoo_registry():
    env = pettingzoo.make("aec", "boardgym/connect_four_v0")
    assert isinstance(env, connect_four_v0.raw_env)
    assert isinstance(pettingzoo.make("aec", "boardgym/tictactoe-v0"), tictactoe_v0.raw_env)


def test_win_then_each_agent_sees_one_final_last_and_steps_none():
    env = connect_four_v0.env()
    env.reset()
    _play(env, [0, 1, 0, 1, 0, 1])
    env.step(0)  # player_0 completes a column
    seen = []
    for agent in env.agent_iter():
        observation, reward, terminated, truncated, info = env.last()
        seen.append((agent, reward, terminated, truncated, observation["action_mask"].tolist()))
        env.step(None)
    assert seen == [("player_1", -1.0, True, False, [0] * 7), ("player_0", 1.0, True, False, [0] * 7)]
    assert env.agents == []
    with pytest.raises(IllegalMoveError, match="call reset"):
        env.step(None)


def test_draw_gives_both_zero():
    env = tictactoe_v0.env()
    env.reset()
    _play(env, [0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert env.terminations == {"player_0": True, "player_1": True}
    assert env.rewards == {"player_0": 0.0, "player_1": 0.0}
    assert env.agent_selection == "player_1"


def test_win_on_the_last_cell_is_a_win():
    env = tictactoe_v0.env()
    env.reset()
    _play(env, [0, 2, 1, 3, 4, 6, 5, 7, 8])
    assert env.rewards == {"player_0": 1.0, "player_1": -1.0}


def test_observation_planes_are_from_the_observers_view():
    env = connect_four_v0.env()
    env.reset()
    _play(env, [3, 3, 4, 2])
    board = parse_board(CONNECT_FOUR, """
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . O . . .
        . . O X X . .
    """)
    mine = env.observe("player_0")
    theirs = env.observe("player_1")
    np.testing.assert_array_equal(mine["observation"], board)
    np.testing.assert_array_equal(theirs["observation"], board[::-1])
    assert mine["action_mask"].tolist() == [1] * 7 and theirs["action_mask"].tolist() == [0] * 7
    assert mine["observation"].dtype == np.int8 and mine["action_mask"].dtype == np.int8
    mine["observation"][:] = 1  # a copy: the env is unaffected
    np.testing.assert_array_equal(env.observe("player_0")["observation"], board)


def _snapshot(env):
    return (env.board.planes.copy(), env.agent_selection, dict(env.rewards), dict(env._cumulative_rewards),
            dict(env.terminations), list(env.board.moves))


def _assert_same(before, after):
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1:] == after[1:]


@pytest.mark.parametrize("bad, message", [
    (0, r"player_0: move 0 is illegal here .*; legal moves: \[1, 2, 3, 4, 5, 6\]"),
    (7, "player_0: move 7 is illegal here"),
    (-1, "player_0: move -1 is illegal here"),
    (3.0, r"player_0: 3.0 \(float\) is not a move: a move is one integer"),
    (True, r"True \(bool\) is not a move"),
    (None, r"None \(NoneType\) is not a move"),
    (np.array([1, 2]), r"array\(\[1, 2\]\) \(ndarray\) is not a move"),
    ("2", r"'2' \(str\) is not a move"),
], ids=["full-column", "too-big", "negative", "float", "bool", "none", "array", "string"])
def test_illegal_and_malformed_moves_raise_and_change_nothing(bad, message):
    env = connect_four_v0.env()
    env.reset()
    _play(env, [0, 0, 0, 0, 0, 0])  # column 0 is full, nobody has won
    before = _snapshot(env)
    with pytest.raises(IllegalMoveError, match=message):
        env.step(bad)
    _assert_same(before, _snapshot(env))
    env.step(np.int32(3))  # numpy integers and 0-d arrays are moves
    env.step(np.array(4))
    assert env.board.moves[-2:] == [3, 4]


def test_occupied_cell_raises_in_tictactoe():
    env = tictactoe_v0.env()
    env.reset()
    env.step(4)
    before = _snapshot(env)
    with pytest.raises(IllegalMoveError, match=r"player_1: move 4 is illegal here.*legal moves: \[0, 1, 2, 3, 5, 6, 7, 8\]"):
        env.step(4)
    _assert_same(before, _snapshot(env))


def test_moves_after_the_end_raise():
    env = connect_four_v0.env()
    env.reset()
    _play(env, [0, 1, 0, 1, 0, 1, 0])
    before = _snapshot(env)
    with pytest.raises(IllegalMoveError, match=r"the game has ended; player_1 must call step\(None\), not step\(2\)"):
        env.step(2)
    _assert_same(before, _snapshot(env))


def test_step_before_reset_is_an_error():
    with pytest.raises(RuntimeError, match="reset"):
        connect_four_v0.env().step(0)


@pytest.mark.parametrize("bad", [0, 2.5, None])
def test_illegal_move_lose_mode_ends_the_game_against_the_mover(bad):
    env = connect_four_v0.env(illegal_move="lose")
    env.reset()
    _play(env, [0, 0, 0, 0, 0, 0, 1])  # player_1 to move, column 0 full
    env.step(bad)
    assert env.rewards == {"player_0": 1.0, "player_1": -1.0}
    assert env.terminations == {"player_0": True, "player_1": True}
    assert env.agent_selection == "player_0"
    observation, reward, terminated, _, _ = env.last()
    assert (reward, terminated, observation["action_mask"].tolist()) == (1.0, True, [0] * 7)
    env.step(None)
    assert env.last()[1] == -1.0
    env.step(None)
    assert env.agents == []


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="illegal_move must be one of"):
        connect_four_v0.env(illegal_move="ignore")
    with pytest.raises(ValueError, match="render_mode must be None or one of"):
        connect_four_v0.env(render_mode="video")


def test_ansi_and_rgb_renders_show_every_stone_of_the_final_position():
    moves = [0, 1, 2, 4, 3, 5, 7, 6, 8]  # a full Tic-Tac-Toe board, drawn
    env = tictactoe_v0.env(render_mode="ansi")
    env.reset()
    _play(env, moves)
    assert env.render() == "X O X\nX O O\nO X X\ndraw\n"
    env = tictactoe_v0.env(render_mode="rgb_array")
    env.reset()
    _play(env, moves)
    image = env.render()
    assert image.shape == (3 * 48, 3 * 48, 3) and image.dtype == np.uint8
    centres = image[24::48, 24::48]  # one pixel at the centre of each cell
    red, yellow = (215, 40, 40), (245, 200, 30)
    expected = [[red, yellow, red], [red, yellow, yellow], [yellow, red, red]]
    np.testing.assert_array_equal(centres, expected)


def test_connect_four_rgb_render_puts_stones_at_the_bottom():
    env = connect_four_v0.env(render_mode="rgb_array")
    env.reset()
    env.step(3)
    image = env.render()
    assert image.shape == (6 * 48, 7 * 48, 3)
    centres = image[24::48, 24::48]
    assert tuple(centres[5, 3]) == (215, 40, 40)
    assert (centres[:5] == (235, 235, 235)).all() and tuple(centres[5, 0]) == (235, 235, 235)
    assert tuple(image[0, 0]) == (30, 70, 170)  # the rack between the holes


def test_human_render_without_pygame_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygame", None)
    env = connect_four_v0.env(render_mode="human")
    with pytest.raises(ModuleNotFoundError, match=r"pip install boardgym\[render\]"):
        env.reset()


def test_human_render_opens_a_window_headless(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    env = connect_four_v0.env(render_mode="human")
    env.reset()
    env.step(3)
    assert env.render() is None
    env.close()
    env.close()  # closing twice is harmless


def test_importing_the_package_loads_no_environment_module():
    code = ("import sys, boardgym.envs; "
            "print(sorted(m for m in sys.modules if m.startswith(('boardgym', 'torch', 'pygame', 'pettingzoo.classic'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['boardgym', 'boardgym.envs', 'boardgym.envs.rules']"


def test_aec_loop_reads_like_pettingzoo_docs():
    """The loop from PettingZoo's documentation, with masked random moves, ends
    with rewards summing to zero for every game."""
    env = tictactoe_v0.env()
    rng = np.random.default_rng(0)
    outcomes = set()
    for game in range(30):
        env.reset(seed=game)
        final = {}
        for agent in env.agent_iter():
            observation, reward, terminated, truncated, info = env.last()
            if terminated or truncated:
                final[agent] = reward
                action = None
            else:
                action = int(rng.choice(np.flatnonzero(observation["action_mask"])))
            env.step(action)
        assert sum(final.values()) == 0 and set(final) == {"player_0", "player_1"}
        outcomes.add(final["player_0"])
    assert outcomes == {1.0, 0.0, -1.0}
    assert TICTACTOE.n_actions == env.action_space("player_0").n
