"""`boardgym eval`, `tournament` and `play`: the real commands on small runs, and
the interactive loop driven by scripted input (bad input, quitting, end of input)."""

import io

import numpy as np
import pytest

from boardgym.agents import cli
from boardgym.agents.commands import (
    EvalConfig, PlayConfig, TournamentConfig, play_interactive, run_eval, run_play, run_tournament, start_positions,
)
from boardgym.agents.evaluation import evaluate, random_openings
from boardgym.agents.scripted import SCRIPTED
from boardgym.envs import rules


class FirstLegal:
    """The lowest legal action, always."""

    def act(self, observation, action_mask, *, greedy=True):
        return np.argmax(np.asarray(action_mask) > 0, axis=1)


class FirstLegalThatLearns(FirstLegal):
    """Records what an adaptive opponent is told after each game."""

    def __init__(self):
        self.results = []

    def observe_result(self, outcome_for_person):
        self.results.append(outcome_for_person)
        return 0.5 + 0.1 * len(self.results)


@pytest.fixture
def first_legal_players(monkeypatch):
    """Two deterministic named players whose Connect Four games are known:
    whoever moves first wins on ply 19 (see test_evaluation)."""
    for name in ("first_legal", "first_legal_too"):
        monkeypatch.setitem(SCRIPTED, name, lambda game, seed=None, arg=None: FirstLegal())


def run_session(lines, opponent, game="connect_four", human_seat=0):
    out = io.StringIO()
    outcomes = play_interactive(game, opponent, human_seat, read=io.StringIO(lines), out=out, opponent_name="bot")
    return outcomes, out.getvalue()


# -- play -------------------------------------------------------------------------


def test_play_win_with_bad_input_then_rematch_then_end_of_input():
    # The bot fills column 1; four X in column 4 win on the person's 4th move.
    lines = "abc\n9\n0\n\n4\n4\n4\n4\ny\n4\n"
    outcomes, text = run_session(lines, FirstLegal())
    assert outcomes == [1]
    assert "'abc' is not a column number: type a number from 1 to 7, or q to quit" in text
    assert "column 9 is out of range: choose from 1 to 7" in text
    assert "column 0 is out of range: choose from 1 to 7" in text
    assert "'' is not a column number" in text
    assert text.count("You win!") == 1
    assert text.count("You are X and move first; bot is O.") == 2
    assert text.rstrip().endswith("Bye. You won 1, drew 0 and lost 0 of 1 finished games.")


def test_play_full_column_is_refused_then_q_quits():
    # X in column 2, then the bot and X alternate in column 1 until it is full
    # (the bot's third stone goes to column 2); X's 4th "1" is refused.
    lines = "2\n1\n1\n1\n1\nq\n"
    outcomes, text = run_session(lines, FirstLegal())
    assert outcomes == []
    assert "column 1 is full: choose one of 2 3 4 5 6 7" in text
    final_board = text.split("column 1 is full")[0].rsplit("\n\n", 1)[1]
    assert final_board.splitlines()[:6] == [
        "X . . . . . .",
        "O . . . . . .",
        "X . . . . . .",
        "O . . . . . .",
        "X O . . . . .",
        "O X . . . . .",
    ]


def test_play_second_seat_loss_reported_and_adaptive_opponent_told():
    # tic-tac-toe, the bot (X) takes cells 1, 2, 3 in order; the person plays 5 and 9.
    bot = FirstLegalThatLearns()
    outcomes, text = run_session("5\n9\nn\n", bot, game="tictactoe", human_seat=1)
    assert outcomes == [-1]
    assert bot.results == [-1]
    assert "You are O and move second; bot is X." in text
    assert "X plays 3" in text and "You lose." in text
    assert "The opponent's skill is now 0.60." in text
    assert "cells:\n1 2 3\n4 5 6\n7 8 9" in text


def test_play_taken_cell_and_immediate_end_of_input():
    outcomes, text = run_session("1\n1\n", FirstLegal(), game="tictactoe")
    assert outcomes == []
    assert "cell 1 is taken: choose one of 3 4 5 6 7 8 9" in text
    assert text.endswith("Bye. You won 0, drew 0 and lost 0 of 0 finished games.\n")


def test_play_draw_then_decline():
    # X 2 4 5 7 9 against the bot's lowest free cells O 1 3 6 8.
    outcomes, text = run_session("2\n4\n5\n7\n9\nn\n", FirstLegal(), game="tictactoe")
    assert outcomes == [0]
    assert "O X O\nX X O\nX O X\n" in text
    assert "Draw." in text
    assert text.endswith("Play again? [y/N] Bye. You won 0, drew 1 and lost 0 of 1 finished games.\n")


def test_run_play_rejects_both_seats():
    with pytest.raises(ValueError, match="first and second"):
        run_play(PlayConfig("random", first=True, second=True), read=io.StringIO(""), out=io.StringIO())


def test_play_command_with_humanlike_ends_cleanly_on_end_of_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("4\nx\n"))
    assert cli.main(["play", "humanlike:0.5", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "'x' is not a column number" in out
    assert "Bye. You won 0, drew 0 and lost 0 of 0 finished games." in out


# -- eval ---------------------------------------------------------------------------


def test_eval_prints_the_same_table_as_evaluate():
    out = io.StringIO()
    run_eval(EvalConfig("greedy", vs="random, humanlike:0.7", games=30, game="tictactoe", seed=4), out=out)
    expected = evaluate("greedy", ["random", "humanlike:0.7"], "tictactoe", n_games=30, seed=4)
    assert out.getvalue() == f"greedy against random, humanlike:0.7\n{expected.table()}\n"


def test_eval_command_exit_codes(capsys):
    assert cli.main(["eval", "greedy", "--vs", "random", "--games", "4", "--game", "tictactoe"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "tictactoe, 4 games per opponent, seed 0"
    assert [line.split()[-6] for line in lines[4:7]] == ["first", "second", "total"]
    assert cli.main(["eval", "greedy", "--vs", "nobody", "--games", "4"]) == 2
    assert "boardgym eval: error: unknown opponent 'nobody'" in capsys.readouterr().err
    assert cli.main(["eval", "greedy", "--games", "0"]) == 2
    assert "games must be a positive integer, got 0" in capsys.readouterr().err


def test_eval_optimal_moves_on_wins_in_one(tmp_path, capsys):
    # Pons' format: moves (1-based columns) and the score for the side to move;
    # here X has three in column 1 (or 3) and wins with its 4th stone: 22 - 4 = 18.
    positions = tmp_path / "wins_in_one.txt"
    positions.write_text("121212 18\n343434 18\n44455554221 -15\n")
    assert cli.main(["eval", "greedy", "--vs", "random", "--games", "2", "--optimal-moves", str(positions)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (f"optimal moves on {positions}: 100.0% of 2 won or drawn positions "
                                    "(100.0% of 2 won); 1 lost positions not counted (any move keeps the loss)")


def test_eval_optimal_moves_needs_connect_four(tmp_path, capsys):
    positions = tmp_path / "p.txt"
    positions.write_text("121212 18\n")
    assert cli.main(["eval", "greedy", "--vs", "random", "--games", "2", "--game", "tictactoe",
                     "--optimal-moves", str(positions)]) == 2
    assert "connect" in capsys.readouterr().err.lower()


# -- tournament --------------------------------------------------------------------


def test_tournament_between_first_movers_is_even(first_legal_players):
    out = io.StringIO()
    elo = run_tournament(TournamentConfig(("first_legal", "first_legal_too"), games=10, opening_plies=0), out=out)
    assert elo.record("first_legal", "first_legal_too") == (5, 0, 5)
    assert elo.ratings == {"first_legal": 0.0, "first_legal_too": pytest.approx(0.0, abs=1e-9)}
    lines = out.getvalue().splitlines()
    assert lines[0] == ("connect_four round robin, 10 games per pair from the empty board "
                        "(row's W-D-L against column)")
    assert lines[1].split() == ["1", "2"]
    assert lines[2].split() == ["1.", "first_legal", "-", "5-0-5"]
    assert lines[3].split() == ["2.", "first_legal_too", "5-0-5", "-"]
    assert "Elo (first_legal = 0, fitted from all games):" in out.getvalue()


def _first_legal_result(game, opening: str, row_seat: int) -> int:
    """The row player's result when both sides play their lowest legal move from ``opening``."""
    board = rules.board_from_moves(game, rules.decode_moves(game, opening))
    while not board.terminated:
        board.play(board.legal_moves()[0])
    return int(board.returns()[row_seat])


def test_tournament_plays_each_random_opening_from_both_seats(first_legal_players):
    """Two deterministic players meet in many games, not one: each game pair starts
    from its own random opening, once with each player moving first (checked
    against playing every opening out by hand)."""
    game = rules.TICTACTOE
    out = io.StringIO()
    elo = run_tournament(TournamentConfig(("first_legal", "first_legal_too"), games=16, game="tictactoe", seed=3),
                         out=out)
    assert out.getvalue().splitlines()[0].startswith("tictactoe round robin, 16 games per pair from 8 openings")
    openings = start_positions(game, None, 2, 16, seed=3)
    assert len(set(openings)) == 8 and all(len(o) == 2 for o in openings)
    # Game g starts from opening g // 2; the row player moves first in the even games.
    results = [_first_legal_result(game, openings[g // 2], row_seat=g % 2) for g in range(16)]
    expected = (results.count(1), results.count(0), results.count(-1))
    assert elo.record("first_legal", "first_legal_too") == expected
    assert len(set(results)) > 1  # the openings make the games differ


def test_eval_with_openings_says_so(capsys):
    assert cli.main(["eval", "greedy", "--vs", "random", "--games", "6", "--opening-plies", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "greedy against random, from 3 openings, each from both seats"
    assert cli.main(["eval", "greedy", "--vs", "random", "--games", "6"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "greedy against random"


def test_random_openings_are_legal_distinct_and_seeded():
    game = rules.CONNECT_FOUR
    openings = random_openings(game, 49, 2, seed=0)
    assert sorted(openings) == sorted(f"{a}{b}" for a in range(1, 8) for b in range(1, 8))  # all of them
    assert random_openings(game, 10, 6, seed=1) == random_openings(game, 10, 6, seed=1)
    assert random_openings(game, 10, 6, seed=1) != random_openings(game, 10, 6, seed=2)
    for opening in random_openings(game, 50, 9, seed=0):
        assert not rules.replay(game, opening).terminated[0] and len(opening) == 9
    # Only 9 one-move openings of Tic-Tac-Toe: they repeat, in the same order.
    ttt = random_openings(rules.TICTACTOE, 12, 1, seed=0)
    assert sorted(ttt[:9]) == [str(c) for c in range(9)] and ttt[9:] == ttt[:3]
    with pytest.raises(ValueError, match="plies must be between 1 and 8 for tictactoe, got 9"):
        random_openings(rules.TICTACTOE, 1, 9)
    with pytest.raises(ValueError, match="opening_plies must be >= 0, got -1"):
        start_positions(game, None, -1, 10, 0)


def test_tournament_with_random_anchors_random_at_zero():
    out = io.StringIO()
    elo = run_tournament(TournamentConfig(("greedy", "random", "humanlike:1"), games=20, game="tictactoe"), out=out)
    ratings = elo.ratings
    assert ratings["random"] == 0.0
    assert ratings["greedy"] > 0 and ratings["humanlike:1"] > 0
    for name in ratings:
        wins, draws, losses = (sum(x) for x in zip(*(elo.record(name, o) for o in ratings if o != name)))
        assert wins + draws + losses == 40


def test_tournament_command_errors(capsys):
    assert cli.main(["tournament", "greedy", "greedy"]) == 2
    assert "at least two different players, got ['greedy']" in capsys.readouterr().err


# -- checkpoints -------------------------------------------------------------------


@pytest.fixture
def tictactoe_checkpoint(tmp_path):
    """An untrained DQN checkpoint written by the trainer: a deterministic greedy player."""
    import torch

    from boardgym.agents.dqn import DQNConfig, DQNLearner
    from boardgym.agents.selfplay import OpponentPool, SelfPlayConfig, SelfPlayTrainer

    torch.set_num_threads(1)
    learner = DQNLearner("tictactoe", DQNConfig(), seed=0)
    trainer = SelfPlayTrainer(learner, OpponentPool(learner, "self=1", seed=0), SelfPlayConfig(num_envs=2),
                              seed=0, run_dir=tmp_path)
    trainer.save_checkpoint()
    return str(tmp_path / "latest.pt")


def test_eval_of_a_checkpoint_against_itself_takes_its_game_from_the_file(tictactoe_checkpoint, capsys):
    assert cli.main(["eval", tictactoe_checkpoint, "--vs", f"random,{tictactoe_checkpoint}", "--games", "6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "tictactoe, 6 games per opponent, seed 0"
    # A greedy network against itself replays one game per seat order: every
    # first-seat game ends alike, and the same game seen from the other seat.
    first, second, total = (line.split()[-6:] for line in lines[7:10])
    assert first[1] == second[1] == "3"
    assert first[2] == second[4] and first[3] == second[3] and first[4] == second[2]
    assert {first[2], first[3], first[4]} <= {"0.0%", "100.0%"}


def test_checkpoint_of_another_game_is_a_clear_error(tictactoe_checkpoint, capsys):
    assert cli.main(["eval", tictactoe_checkpoint, "--vs", "random", "--game", "connect_four"]) == 2
    assert "is a tictactoe checkpoint, not connect_four" in capsys.readouterr().err


def test_tournament_and_play_with_a_checkpoint(tictactoe_checkpoint):
    out = io.StringIO()
    elo = run_tournament(TournamentConfig((tictactoe_checkpoint, "random"), games=8), out=out)
    assert out.getvalue().startswith("tictactoe round robin, 8 games per pair")
    assert elo.ratings["random"] == 0.0 and sum(elo.record(tictactoe_checkpoint, "random")) == 8
    out = io.StringIO()
    assert run_play(PlayConfig(tictactoe_checkpoint, second=True), read=io.StringIO("q\n"), out=out) == 0
    assert "You are O and move second" in out.getvalue()
    assert "X plays" in out.getvalue()
