"""The human-like opponent: tactics at full skill, near-random at zero, adaptation, seeding."""

import numpy as np
import pytest

from boardgym.agents.evaluation import evaluate
from boardgym.agents.humanlike import HumanlikePolicy, _boards_after_each_action, positional_values
from boardgym.agents.scripted import make_policy
from boardgym.envs import rules

C4 = rules.CONNECT_FOUR


def position(text):
    """Connect Four planes and legal mask, from the view of X (to move), for an ASCII board."""
    planes = rules.parse_board(C4, text)
    mask = ((planes[0] | planes[1])[0] == 0).astype(np.int8)
    return planes[None], mask[None]


WIN_OR_BLOCK = """
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . O
. . . . . . O
X X X . . . O
"""  # X wins in column 4 (index 3); O threatens column 7 (index 6).

BLOCK_ONLY = """
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . X . .
. O O O X X .
"""  # X cannot win; O wins in column 1 (index 0) unless X blocks it.

POISONED = """
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
X O O O . X X
X X O X . O O
"""  # No one can win now, but X in column 5 (index 4) lets O win on top of it.


def test_skill_one_takes_an_immediate_win_rather_than_block():
    planes, mask = position(WIN_OR_BLOCK)
    assert np.flatnonzero(rules.winning_moves(C4, planes, mask)[0]).tolist() == [3]
    assert np.flatnonzero(rules.winning_moves(C4, planes[:, ::-1], mask)[0]).tolist() == [6]
    player = HumanlikePolicy(C4, seed=0, skill=1.0)
    assert {int(player.act(planes, mask)[0]) for _ in range(50)} == {3}


def test_skill_one_blocks_when_it_cannot_win():
    planes, mask = position(BLOCK_ONLY)
    player = HumanlikePolicy(C4, seed=0, skill=1.0)
    assert {int(player.act(planes, mask)[0]) for _ in range(50)} == {0}


def test_skill_one_never_plays_under_the_opponents_threat():
    planes, mask = position(POISONED)
    assert not rules.winning_moves(C4, planes, mask).any()
    assert not rules.winning_moves(C4, planes[:, ::-1], mask).any()
    after = rules.parse_board(C4, POISONED)
    after[0, 5, 4] = 1  # X plays column 5
    after_mask = ((after[0] | after[1])[0] == 0).astype(np.int8)
    assert np.flatnonzero(rules.winning_moves(C4, after[None, ::-1], after_mask[None])[0]).tolist() == [4]
    player = HumanlikePolicy(C4, seed=1, skill=1.0)
    values = player.move_values(planes, mask)[0]
    assert values[4] < -4 and (np.delete(values, 4) >= 0).all()
    assert 4 not in {int(player.act(planes, mask)[0]) for _ in range(100)}


FORK_COMING = """
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . X X . . .
. . O O . . .
"""  # Unless X plays column 2 or 5 (index 1 or 4), O makes three with both ends open.


def test_skill_one_sees_a_fork_coming_four_plies_ahead():
    planes, mask = position(FORK_COMING)
    legal = mask.astype(bool)
    after, mask_after = _boards_after_each_action(C4, planes, legal)
    player = HumanlikePolicy(C4, seed=0, skill=1.0)
    assert player.forced_results(after, mask_after, legal)[0].tolist() == [-1, 0, -1, -1, 0, -1, -1]
    assert {int(player.act(planes, mask)[0]) for _ in range(100)} == {1, 4}
    # The one-ply tactics alone see nothing here: a player that never looks deeper
    # prefers the central columns, which lose.
    shallow = HumanlikePolicy(C4, seed=0, skill=1.0, look_ahead=0)
    assert {int(shallow.act(planes, mask)[0]) for _ in range(100)} <= {2, 3}


def test_low_skill_sometimes_misses_the_block():
    planes, mask = position(BLOCK_ONLY)
    player = HumanlikePolicy(C4, seed=0, skill=0.3)
    moves = player.act(np.repeat(planes, 500, 0), np.repeat(mask, 500, 0))
    blocked = (moves == 0).mean()
    assert 0.2 < blocked < 0.8


def test_positional_values_prefer_the_centre_on_an_empty_board():
    state = rules.initial(C4)
    values = positional_values(C4, rules.observe(C4, state), rules.legal_mask(C4, state).astype(bool))[0]
    assert values.argmax() == 3
    assert values.max() == 1.0
    assert np.allclose(values, values[::-1])


def test_skill_zero_is_a_flat_softmax_of_positional_values():
    planes, mask = position(BLOCK_ONLY)
    player = HumanlikePolicy(C4, seed=3, skill=0.0)
    assert player.temperature == pytest.approx(4.05)
    assert all(p == 0 for p in player.notice_probabilities().values())
    # It notices nothing, not even the block: the law is softmax(positional / 4.05),
    # within a factor e^(1/4.05) = 1.28 of uniform.
    weights = np.exp(positional_values(C4, planes, mask.astype(bool))[0] / 4.05)
    expected = weights / weights.sum()
    assert expected.max() / expected.min() <= np.exp(1 / 4.05)
    moves = player.act(np.repeat(planes, 20_000, 0), np.repeat(mask, 20_000, 0))
    assert mask[0][moves].all()
    assert np.abs(np.bincount(moves, minlength=7) / len(moves) - expected).max() < 0.01


def test_skill_zero_against_greedy_is_much_weaker_than_skill_one():
    weak = evaluate("humanlike:0", ["greedy"], "connect_four", n_games=200, seed=0)["greedy"].record()
    strong = evaluate("humanlike:1", ["greedy"], "connect_four", n_games=200, seed=0)["greedy"].record()
    assert weak.rate("win") < 0.2 < 0.8 < strong.rate("win")


def test_only_legal_moves_in_full_games_at_every_skill():
    # The arena raises IllegalMoveError on any illegal move.
    for skill in (0.0, 0.3, 0.7, 1.0):
        for game in ("tictactoe", "connect_four"):
            evaluate(f"humanlike:{skill}", ["random"], game, n_games=20, seed=5)


def test_adaptation_follows_the_persons_results():
    player = HumanlikePolicy(C4, skill=0.5, adapt_rate=0.1)
    for _ in range(3):
        player.observe_result(+1)  # the person wins: play stronger
    assert player.skill == pytest.approx(0.65)
    player.observe_result(0)
    assert player.skill == pytest.approx(0.65)
    for _ in range(20):
        player.observe_result(-1)  # the person keeps losing: play weaker, down to 0
    assert player.skill == 0.0
    with pytest.raises(ValueError, match="outcome_for_person"):
        player.observe_result(2)
    assert player.skill == 0.0


def test_fixed_skill_with_zero_adapt_rate():
    player = HumanlikePolicy(C4, skill=0.3, adapt_rate=0.0)
    player.observe_result(1)
    assert player.skill == 0.3


def test_same_seed_same_moves():
    state = rules.initial(C4, 64)
    obs, mask = rules.observe(C4, state), rules.legal_mask(C4, state)
    one = HumanlikePolicy(C4, seed=7, skill=0.4)
    two = HumanlikePolicy(C4, seed=7, skill=0.4)
    assert np.array_equal(one.act(obs, mask), two.act(obs, mask))
    two.seed(8)
    assert not np.array_equal(one.act(obs, mask), two.act(obs, mask))


def test_names_parse_through_make_policy():
    assert make_policy("humanlike", "connect_four").skill == 0.5
    assert make_policy("humanlike:0.8", "tictactoe", seed=1).skill == 0.8
    with pytest.raises(ValueError, match="humanlike skill must be a number"):
        make_policy("humanlike:strong", "connect_four")
    with pytest.raises(ValueError, match=r"skill must be in \[0, 1\]"):
        make_policy("humanlike:1.5", "connect_four")
    with pytest.raises(ValueError, match="look_ahead must be 0"):
        HumanlikePolicy(C4, look_ahead=1)
