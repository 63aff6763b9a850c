"""Evaluation against opponents: per-seat records, reproducibility, reports."""


import numpy as np
import pytest

from boardgym.agents.elo import EloTable
from boardgym.agents.evaluation import LADDER, evaluate, tag_name
from boardgym.envs import rules
from tictactoe_minimax import PerfectPlayer


class FirstLegal:
    """Always the lowest legal action: a deterministic player with known games."""

    name = "first_legal"

    def act(self, observation, action_mask, *, greedy=True):
        return np.argmax(np.asarray(action_mask) > 0, axis=1)


def test_ladder_names():
    assert LADDER == ("random", "greedy", "alphabeta:2", "alphabeta:4")


def test_first_legal_against_itself_first_seat_always_wins_in_19_moves():
    # Columns fill left to right X,O,X,O,X,O from the bottom, so X completes the
    # bottom row with its 10th stone (ply 19), one ply before O's second row.
    report = evaluate(FirstLegal(), {"mirror": FirstLegal()}, "connect_four", n_games=10, seed=0)
    match = report["mirror"]
    first, second, total = match.record("first"), match.record("second"), match.record("total")
    assert (first.wins, first.draws, first.losses, first.mean_length) == (5, 0, 0, 19.0)
    assert (second.wins, second.draws, second.losses, second.mean_length) == (0, 0, 5, 19.0)
    assert (total.wins, total.losses, total.games) == (5, 5, 10)
    assert match.outcomes.tolist() == [1, -1] * 5


def test_same_object_in_both_seats_is_symmetric_in_total():
    player = FirstLegal()
    record = evaluate(player, {"itself": player}, "tictactoe", n_games=8)["itself"].record()
    assert record.wins == record.losses == 4


def test_perfect_play_against_perfect_play_is_always_a_draw():
    report = evaluate(PerfectPlayer(), {"perfect": PerfectPlayer()}, "tictactoe", n_games=6)
    record = report["perfect"].record()
    assert (record.wins, record.draws, record.losses, record.mean_length) == (0, 6, 0, 9.0)


def test_perfect_play_never_loses_to_random_or_greedy():
    report = evaluate(PerfectPlayer(), ["random", "greedy"], "tictactoe", n_games=200, seed=3)
    for opponent in ("random", "greedy"):
        for seat in ("first", "second"):
            assert report[opponent].record(seat).losses == 0
    assert report["random"].record("first").games == report["random"].record("second").games == 100


def test_seat_counts_with_an_odd_number_of_games():
    match = evaluate("random", ["random"], "tictactoe", n_games=7, seed=1)["random"]
    assert match.record("first").games == 4
    assert match.record("second").games == 3
    assert match.games.seats[:, 0].tolist() == [0, 1, 0, 1, 0, 1, 0]


def test_same_seed_same_games_whatever_the_opponent_order():
    one = evaluate("random", ["random", "greedy"], "connect_four", n_games=40, seed=11)
    two = evaluate("random", ["greedy", "random"], "connect_four", n_games=40, seed=11)
    other = evaluate("random", ["random", "greedy"], "connect_four", n_games=40, seed=12)
    for name in ("random", "greedy"):
        assert np.array_equal(one[name].games.winners, two[name].games.winners)
        assert np.array_equal(one[name].games.lengths, two[name].games.lengths)
    assert not np.array_equal(one["random"].games.lengths, other["random"].games.lengths)


def test_table_and_scalars():
    report = evaluate(FirstLegal(), {"alphabeta:9": FirstLegal()}, "connect_four", n_games=4, seed=0)
    assert report.as_scalars() == {
        "eval/alphabeta_9/win": 0.5, "eval/alphabeta_9/draw": 0.0, "eval/alphabeta_9/loss": 0.5,
    }
    lines = report.table().splitlines()
    assert lines[0] == "connect_four, 4 games per opponent, seed 0"
    assert lines[3].split() == ["alphabeta:9", "first", "2", "100.0%", "0.0%", "0.0%", "19.0"]
    assert lines[4].split() == ["second", "2", "0.0%", "0.0%", "100.0%", "19.0"]
    assert lines[5].split() == ["total", "4", "50.0%", "0.0%", "50.0%", "19.0"]


def test_tag_name_keeps_allowed_characters():
    assert tag_name("alphabeta:4") == "alphabeta_4"
    assert tag_name("runs/best.pt") == "runs/best.pt"


def test_record_elo_adds_every_game():
    report = evaluate("greedy", ["random"], "tictactoe", n_games=50, seed=2)
    table = EloTable()
    report.record_elo(table, "learner")
    record = report["random"].record()
    assert table.record("learner", "random") == (record.wins, record.draws, record.losses)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_games": 0}, "n_games must be a positive integer"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"opponents": "random"}, "opponents must be a list"),
    ({"opponents": []}, "opponents is empty"),
    ({"opponents": ["nobody"]}, "unknown opponent 'nobody'"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    arguments = {"opponents": ["random"], "n_games": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        evaluate("random", game="tictactoe", **arguments)


PONS_L3 = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "pons_connect4" / "Test_L3_R1"


def test_games_from_openings_between_perfect_players_end_as_pons_scores_say():
    from boardgym.agents.solver import read_positions

    kinds = {"first wins": lambda m, s: s > 0 and len(m) % 2 == 0, "second wins": lambda m, s: s > 0 and len(m) % 2,
             "draw": lambda m, s: s == 0, "mover loses": lambda m, s: s < 0}
    every = read_positions(PONS_L3)
    positions = [p for test in kinds.values() for p in [p for p in every if test(*p)][:4]]
    report = evaluate("solver", ["solver"], "connect_four", n_games=2 * len(positions),
                      openings=[moves for moves, _ in positions])
    games = report["solver"].games
    for index, (moves, score) in enumerate(positions):
        stones = len(moves)
        mover = stones % 2  # the seat to move in the opening
        for game in (2 * index, 2 * index + 1):
            expected = -1 if score == 0 else (mover if score > 0 else 1 - mover)
            assert games.winners[game] == expected, (moves, score)
            if score > 0:  # the winner's k-th own stone is its winning one (Pons' convention)
                k = 22 - score
                own_before = stones // 2  # the mover's stones already on the board
                assert games.lengths[game] == 2 * (k - own_before) - 1, (moves, score)


def test_openings_must_be_unfinished_games():
    with pytest.raises(ValueError, match="already a finished game"):
        evaluate("random", ["random"], "connect_four", n_games=2, openings=["1212121"])
