"""Elo: the online update, the maximum-likelihood fit with its prior, and state round trips."""

import math

import numpy as np
import pytest
import torch

from boardgym.agents.elo import EloTable, elo_update, expected_score


def gap_with_prior(wins, draws, losses, prior_draws=1.0):
    """The exact two-player gap under the virtual-draws prior (module docstring)."""
    p = (wins + 0.5 * draws + 0.5 * prior_draws) / (wins + draws + losses + prior_draws)
    return 400 * math.log10(p / (1 - p))


def test_expected_score_values():
    assert expected_score(1500, 1500) == 0.5
    assert expected_score(1900, 1500) == pytest.approx(10 / 11)
    assert expected_score(1500, 1900) == pytest.approx(1 / 11)


def test_update_of_equal_players_after_a_win_is_plus_minus_16():
    assert elo_update(1500, 1500, 1.0, k=32) == (1516.0, 1484.0)
    assert elo_update(1500, 1500, 0.0) == (1484.0, 1516.0)
    assert elo_update(1500, 1500, 0.5) == (1500.0, 1500.0)


def test_update_rejects_a_score_outside_zero_one():
    with pytest.raises(ValueError, match="score_a"):
        elo_update(1500, 1500, 2.0)


def test_fit_of_two_players_is_the_log_odds_of_their_score():
    table = EloTable()
    table.add_games("random", "greedy", wins=10, draws=5, losses=85)
    ratings = table.fit()
    assert ratings["random"] == 0.0
    assert ratings["greedy"] == pytest.approx(gap_with_prior(85, 5, 10), abs=1e-6)
    # Without the prior the gap would be 400*log10(0.875/0.125) = 338.0; one virtual draw in 100 games moves it by < 6.
    assert ratings["greedy"] == pytest.approx(400 * math.log10(0.875 / 0.125), abs=6.0)


def test_fit_accepts_outcome_arrays_and_skips_nan():
    by_array = EloTable()
    by_array.add_games("a", "random", np.array([1, 1, 1, 0, -1, np.nan]))
    by_counts = EloTable()
    by_counts.add_games("random", "a", wins=1, draws=1, losses=3)
    assert by_array.record("a", "random") == (3, 1, 1)
    assert by_array.fit() == pytest.approx(by_counts.fit())
    assert by_array.fit()["a"] == pytest.approx(gap_with_prior(3, 1, 1), abs=1e-6)


def test_undefeated_player_gets_a_finite_rating():
    table = EloTable()
    table.add_games("champion", "random", wins=400)
    assert table.ratings["champion"] == pytest.approx(400 * math.log10(801), abs=1e-6)


def test_anchor_stays_at_its_rating_with_many_players():
    table = EloTable(anchor="random", anchor_rating=100.0)
    table.add_games("random", "greedy", wins=20, losses=80)
    table.add_games("greedy", "alphabeta:2", wins=30, draws=10, losses=60)
    table.add_games("random", "alphabeta:2", wins=2, losses=98)
    ratings = table.fit()
    assert ratings["random"] == 100.0
    assert ratings["random"] < ratings["greedy"] < ratings["alphabeta:2"]
    assert table.fit(anchor="greedy", anchor_rating=0.0)["greedy"] == 0.0


def test_fit_is_consistent_across_a_chain():
    # A beats B 3:1 and B beats C 3:1 with no direct games: the fitted gaps add up.
    table = EloTable(anchor="C", prior_draws=1e-9)
    table.add_games("A", "B", wins=300, losses=100)
    table.add_games("B", "C", wins=300, losses=100)
    ratings = table.fit()
    one_gap = 400 * math.log10(3)
    assert ratings["B"] == pytest.approx(one_gap, abs=1e-3)
    assert ratings["A"] == pytest.approx(2 * one_gap, abs=1e-3)


def test_fit_maximises_the_likelihood():
    table = EloTable()
    table.add_games("random", "x", wins=3, draws=4, losses=13)
    table.add_games("x", "y", wins=9, draws=2, losses=9)
    table.add_games("random", "y", wins=1, losses=19)
    ratings = table.fit()

    def log_likelihood(r):
        total = 0.0
        for a, b in (("random", "x"), ("x", "y"), ("random", "y")):
            wins, draws, losses = table.record(a, b)
            score = wins + 0.5 * (draws + 1)
            n = wins + draws + losses + 1
            p = expected_score(r[a], r[b])
            total += score * math.log(p) + (n - score) * math.log(1 - p)
        return total

    best = log_likelihood(ratings)
    for name in ("x", "y"):
        for delta in (-1.0, 1.0):
            moved = dict(ratings, **{name: ratings[name] + delta})
            assert log_likelihood(moved) < best


def test_fit_errors_name_the_problem():
    table = EloTable()
    assert table.fit() == {}
    table.add_games("a", "b", wins=1)
    with pytest.raises(ValueError, match="anchor 'random' has no recorded games"):
        table.fit()
    table.add_games("random", "c", wins=1)
    with pytest.raises(ValueError, match=r"\['a', 'b'\] have no chain of games"):
        table.fit()


def test_bad_games_leave_the_table_unchanged():
    table = EloTable()
    table.add_games("random", "a", wins=1)
    with pytest.raises(ValueError, match="outcomes must be"):
        table.add_games("random", "a", [1, 2])
    with pytest.raises(ValueError, match="against itself"):
        table.add_games("a", "a", wins=1)
    with pytest.raises(ValueError, match="non-negative"):
        table.add_games("random", "a", wins=-1)
    assert table.state_dict()["records"] == [["a", "random", 0, 0, 1]]


def test_state_dict_round_trip_through_torch_weights_only(tmp_path):
    table = EloTable(anchor="random", anchor_rating=0.0, prior_draws=2.0)
    table.add_games("random", "greedy", wins=7, draws=3, losses=40)
    table.add_games("snapshot_1000", "greedy", [1, -1, 0, 1])
    path = tmp_path / "elo.pt"
    torch.save({"elo": table.state_dict()}, path)
    restored = EloTable()
    restored.load_state_dict(torch.load(path, weights_only=True)["elo"])
    assert restored.state_dict() == table.state_dict()
    assert restored.ratings == table.ratings
    assert restored.record("greedy", "snapshot_1000") == (1, 1, 2)


def test_load_state_dict_rejects_junk_and_keeps_old_state():
    table = EloTable()
    table.add_games("random", "a", wins=1)
    before = table.state_dict()
    with pytest.raises(ValueError, match="not an EloTable state_dict"):
        table.load_state_dict({"anchor": "random", "records": []})
    assert table.state_dict() == before


def test_table_lists_players_best_first():
    table = EloTable()
    table.add_games("random", "greedy", wins=1, losses=9)
    lines = table.table().splitlines()
    assert lines[1].split()[:2] == ["greedy", f"{gap_with_prior(9, 0, 1):.1f}"]
    assert lines[2].split() == ["random", "0.0", "10", "1-0-9"]
