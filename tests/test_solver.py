"""The Connect Four solver against Pascal Pons' published scores, the negamax
property, the solver as a player, and the optimal-move measure."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boardgym.agents import arena
from boardgym.agents.cli import main as cli_main
from boardgym.agents.scripted import make_policy
from boardgym.agents.solver import (TABLE_SIZE, Position, SolverPolicy, analyse, optimal_move_rate,
                                    read_positions, solve)
from boardgym.envs import rules
from boardgym.envs.rules import CONNECT_FOUR, IllegalMoveError

PONS = Path(__file__).parents[2] / "shared" / "data" / "pons_connect4"
REPO = Path(__file__).parents[1]


def load_set(name):
    return [(moves, score) for moves, score in read_positions(PONS / name)]


END_EASY = load_set("Test_L3_R1")
MIDDLE_EASY = load_set("Test_L2_R1")


def sample(entries, size, seed):
    rng = np.random.default_rng(seed)
    return [entries[i] for i in sorted(rng.choice(len(entries), size, replace=False))]


def states_of(move_lists):
    state = rules.initial(CONNECT_FOUR, len(move_lists))
    for index, moves in enumerate(move_lists):
        state.put([index], rules.replay(CONNECT_FOUR, moves))
    return state


# --- exact scores ------------------------------------------------------------


def test_worked_examples_of_the_data_readme():
    assert solve("4455") == 18
    assert solve("44455554221") == -15


def test_every_position_of_test_l3_r1():
    assert len(END_EASY) == 1000
    wrong = [(moves, score, solve(moves)) for moves, score in END_EASY if solve(moves) != score]
    assert wrong == []


def test_seeded_sample_of_test_l2_r1():
    entries = sample(MIDDLE_EASY, 100, seed=6)
    wrong = [(moves, score, solve(moves)) for moves, score in entries if solve(moves) != score]
    assert wrong == []


@pytest.mark.slow
def test_every_position_of_test_l2_r1():
    assert len(MIDDLE_EASY) == 1000
    wrong = [(moves, score, solve(moves)) for moves, score in MIDDLE_EASY if solve(moves) != score]
    assert wrong == []


def test_weak_scores_are_the_signs_of_the_scores():
    entries = END_EASY[:300] + sample(MIDDLE_EASY, 50, seed=7)
    assert [solve(moves, weak=True) for moves, _ in entries] == [int(np.sign(score)) for _, score in entries]


def test_positions_as_lists_of_actions_and_arrays():
    assert solve([3, 3, 4, 4]) == 18
    assert solve(np.array([3, 3, 3, 4, 4, 4, 4, 3, 1, 1, 0])) == -15


# A Test_L2_R1 line with two best moves and a full column.
TWO_BEST = ("27537226473133277457", 10)


def test_analyse_scores_every_column():
    moves, score = TWO_BEST
    scores = analyse(moves)
    assert scores == [0, 9, 2, 10, 10, 0, None]
    assert max(s for s in scores if s is not None) == score
    assert analyse(moves, weak=True) == [0, 1, 1, 1, 1, 0, None]


def test_table_size_identifies_keys_exactly():
    # 32 stored key bits and the slot index identify 49-bit keys (CRT) only
    # when the size is odd and above 2**17; a prime size also spreads keys.
    assert TABLE_SIZE % 2 == 1 and TABLE_SIZE > 2**17
    assert all(TABLE_SIZE % d for d in range(3, int(TABLE_SIZE**0.5) + 1, 2))


# --- the negamax property on random positions --------------------------------


def random_position(seed, stones):
    """Moves of a random game stopped after ``stones`` plies or one ply before its end."""
    rng = np.random.default_rng(seed)
    board = rules.Board(CONNECT_FOUR)
    moves = []
    while len(moves) < stones:
        move = int(rng.choice(board.legal_moves()))
        trial = rules.board_from_moves(CONNECT_FOUR, moves + [move])
        if trial.terminated:
            break
        board, moves = trial, moves + [move]
    return moves


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), stones=st.integers(18, 41))
def test_score_is_the_best_over_moves_of_minus_the_childs_score(seed, stones):
    moves = random_position(seed, stones)
    n = len(moves)
    values = []
    for column in range(7):
        board = rules.board_from_moves(CONNECT_FOUR, moves)
        if not board.is_legal(column):
            continue
        board.play(column)
        # A move that completes four scores 22 - k directly (rules decide the win).
        values.append((43 - n) // 2 if board.winner >= 0 else 0 if board.terminated else -solve(moves + [column]))
    score = solve(moves)
    assert score == max(values)
    assert -(21 - (n + 1) // 2) <= score <= 21 - n // 2


# --- both backends -------------------------------------------------------------


def run_python(code, **env):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, **env}, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pure_python_fallback_gives_the_same_scores():
    entries = END_EASY[:20] + sample(MIDDLE_EASY, 5, seed=8)
    code = (
        "import json\nfrom boardgym.agents import jit, solver\n"
        f"moves = {[moves for moves, _ in entries]!r}\n"
        "print(json.dumps({'backend': jit.BACKEND, 'scores': [solver.solve(m) for m in moves],"
        " 'weak': [solver.solve(m, weak=True) for m in moves[:10]]}))"
    )
    result = run_python(code, BOARDGYM_NO_JIT="1")
    assert result["backend"] == "python"
    assert result["scores"] == [score for _, score in entries]
    assert result["weak"] == [int(np.sign(score)) for _, score in entries[:10]]


def test_fallback_is_automatic_without_numba():
    code = (
        "import sys, json\nsys.modules['numba'] = None  # import numba now fails\n"
        "from boardgym.agents import jit, solver\n"
        "print(json.dumps({'backend': jit.BACKEND, 'scores': [solver.solve('4455'), solver.solve('44455554221')]}))"
    )
    assert run_python(code) == {"backend": "python", "scores": [18, -15]}


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize("position, error, message", [
    ("4444444", IllegalMoveError, r"move 7 \(4\) after '444444'.*legal: 1, 2, 3, 5, 6, 7"),        # a seventh stone in a column of six
    ("48", ValueError, "out of range"),
    ("4a5", ValueError, "bad move"),
    ("12121212", IllegalMoveError, "ended"),        # a move after player 0's four in column 1
    ("1212121", ValueError, "is over"),              # the game is won: nothing to solve
    ([3, 3, 9], IllegalMoveError, r"move 3 \(10\) after '44'.*out of range 1..7"),
    (b"4455", ValueError, "move string"),
    (4455, ValueError, "move string"),
])
def test_illegal_positions_are_refused(position, error, message):
    with pytest.raises(error, match=message):
        solve(position)
    with pytest.raises(error, match=message):
        analyse(position)


def test_solver_refuses_other_games_and_options():
    with pytest.raises(ValueError, match="only plays Connect Four"):
        make_policy("solver", "tictactoe")
    with pytest.raises(ValueError, match="only plays Connect Four"):
        optimal_move_rate("random", ["4455 18"], game="tictactoe")
    with pytest.raises(ValueError, match="unknown solver option 'strong'"):
        make_policy("solver:strong", "connect_four")


# --- the solver as a player --------------------------------------------------------


def test_solver_converts_won_positions_against_random_in_either_seat():
    won = [(m, s) for m, s in sample(MIDDLE_EASY, 200, seed=9) if s > 0]
    first = [m for m, _ in won if len(m) % 2 == 0][:4]   # player 0 to move, and winning
    second = [m for m, _ in won if len(m) % 2 == 1][:4]  # player 1 to move, and winning
    for spec in ("solver", "solver:weak"):
        players = [make_policy(spec, CONNECT_FOUR, seed=1), make_policy("random", CONNECT_FOUR, seed=2)]
        games = arena.play_games(CONNECT_FOUR, players, np.array([[0, 1]] * 4), start=states_of(first))
        assert games.winners.tolist() == [0, 0, 0, 0]
        games = arena.play_games(CONNECT_FOUR, players, np.array([[1, 0]] * 4), start=states_of(second))
        assert games.winners.tolist() == [1, 1, 1, 1]


def test_solver_against_itself_ends_games_on_the_stone_the_score_predicts():
    entries = [entry for entry in sample(MIDDLE_EASY, 60, seed=10) if entry[1] != 0][:6]
    players = [SolverPolicy(CONNECT_FOUR, seed=3), SolverPolicy(CONNECT_FOUR, seed=4)]
    games = arena.play_games(CONNECT_FOUR, players, np.array([[0, 1]] * len(entries)),
                             start=states_of([m for m, _ in entries]))
    for (moves, score), winner, length in zip(entries, games.winners, games.lengths):
        mover = len(moves) % 2
        k = 22 - abs(score)  # the winner's stone count when it wins
        expected_winner = mover if score > 0 else 1 - mover
        assert winner == expected_winner
        assert len(moves) + length == 2 * k - (1 if expected_winner == 0 else 0)


def test_solver_policy_always_picks_an_optimal_move():
    entries = sample(MIDDLE_EASY, 40, seed=11)
    policy = SolverPolicy(CONNECT_FOUR, seed=5)
    state = states_of([m for m, _ in entries])
    chosen = policy.act(rules.observe(CONNECT_FOUR, state), rules.legal_mask(CONNECT_FOUR, state))
    for (moves, score), move in zip(entries, chosen):
        assert analyse(moves)[move] == score
    report = optimal_move_rate(policy, [f"{m} {s}" for m, s in entries])
    assert report.rate == 1.0 and report.optimal.all()


def test_solver_ties_are_broken_by_the_seed():
    state = states_of([TWO_BEST[0]] * 16)
    obs, mask = rules.observe(CONNECT_FOUR, state), rules.legal_mask(CONNECT_FOUR, state)
    first = SolverPolicy(CONNECT_FOUR, seed=7).act(obs, mask)
    assert set(first.tolist()) == {3, 4}
    assert SolverPolicy(CONNECT_FOUR, seed=7).act(obs, mask).tolist() == first.tolist()
    assert set(SolverPolicy(CONNECT_FOUR, seed=7, weak=True).act(obs, mask).tolist()) == {1, 2, 3, 4}


# --- the optimal-move measure ---------------------------------------------------


class LeftmostLegal:
    """Always the leftmost column with room: a deterministic bad player."""

    def act(self, observation, action_mask, *, greedy=True):
        return np.argmax(np.asarray(action_mask) > 0, axis=1)


def test_optimal_move_rate_judges_each_position():
    # 4455: a win, and column 1 throws it away. 44455554221: lost, any move counts.
    report = optimal_move_rate(LeftmostLegal(), ["4455 18", "44455554221 -15", "4455"])
    assert report.positions == ["4455", "44455554221", "4455"]
    assert report.outcomes.tolist() == [1, -1, 1]  # the third one's outcome comes from the solver
    assert report.moves.tolist() == [0, 0, 0]
    assert report.optimal.tolist() == [False, True, False]
    assert report.rate == pytest.approx(1 / 3)
    assert report.summary() == {"positions": 3, "optimal": 1, "rate": pytest.approx(1 / 3),
                                "win_positions": 2, "win_rate": 0.0, "draw_positions": 0,
                                "draw_rate": pytest.approx(float("nan"), nan_ok=True)}


def test_optimal_move_rate_on_a_file_and_for_weaker_players():
    report = optimal_move_rate("random", PONS / "Test_L3_R1")
    assert len(report.positions) == 1000
    assert report.outcomes.tolist() == [int(np.sign(score)) for _, score in END_EASY]
    assert report.optimal[report.outcomes < 0].all()  # lost positions: every move counts
    assert 0.5 < report.rate < 1.0
    greedy = optimal_move_rate("greedy", PONS / "Test_L3_R1")
    assert report.rate < greedy.rate < 1.0
    with pytest.raises(ValueError, match="does not exist"):
        optimal_move_rate("random", PONS / "no_such_set")
    with pytest.raises(ValueError, match="line 2"):
        optimal_move_rate("random", ["4455 18", "4455 eighteen"])


# --- command line -------------------------------------------------------------------


def test_cli_solve_prints_score_and_analysis(capsys):
    assert cli_main(["solve", TWO_BEST[0]]) == 0
    out = capsys.readouterr().out
    assert "score 10: the side to move wins with its stone number 12" in out
    assert "score    0   9   2  10  10   0   -" in out
    assert "best moves: 4 5 " in out
    assert cli_main(["solve", "44455554221", "--weak"]) == 0
    assert "score -1: the side to move loses" in capsys.readouterr().out
    assert cli_main(["solve", "4444444"]) == 2
    assert "move 7 (4) after '444444' cannot be played" in capsys.readouterr().err


def test_position_parse_matches_the_rules_engine():
    # The solver replays move strings on its own bitboards; the rules engine is the reference.
    for moves, _ in END_EASY + MIDDLE_EASY:
        position, state = Position.parse(moves), rules.replay(CONNECT_FOUR, moves)
        mover = int(state.to_move[0])
        assert (position.own, position.mask, position.stones) == (
            int(state.bits[0, mover]), int(state.bits[0, 0] | state.bits[0, 1]), len(moves))
    rng = np.random.default_rng(12)
    for _ in range(200):  # whole random games: every prefix, the finished game refused
        board = rules.Board(CONNECT_FOUR)
        while not board.terminated:
            Position.parse(board.moves)
            board.play(int(rng.choice(board.legal_moves())))
        with pytest.raises(ValueError, match="is over"):
            Position.parse(board.moves)


def test_solver_policy_refuses_early_positions_instead_of_hanging():
    from boardgym.agents.scripted import make_policy
    from boardgym.envs import rules

    state = rules.replay(rules.CONNECT_FOUR, "4444")
    policy = make_policy("solver", "connect_four", seed=0)
    with pytest.raises(ValueError, match="4 stones on the board.*openings"):
        policy.act(rules.observe(rules.CONNECT_FOUR, state), rules.legal_mask(rules.CONNECT_FOUR, state))
