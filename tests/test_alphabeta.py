"""alphabeta:D: strength against the ladder, exact values on Tic-Tac-Toe,
wins and blocks on drawn boards, seeded tie-breaks, both backends."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boardgym.agents import arena
from boardgym.agents.alphabeta import WIN_SCORE, AlphaBetaPolicy
from boardgym.agents.scripted import make_policy
from boardgym.envs import rules
from boardgym.envs.rules import CONNECT_FOUR, TICTACTOE
from tictactoe_minimax import move_values

REPO = Path(__file__).parents[1]


def position(game, moves):
    """(observation, action_mask) of one position, from the mover's view."""
    state = rules.replay(game, moves)
    return rules.observe(game, state), rules.legal_mask(game, state)


def from_board(game, text, to_move):
    """(observation, action_mask) of an ASCII board (X = player 0) with ``to_move`` to play."""
    planes = rules.parse_board(game, text)[None]
    state = rules.initial(game, 1)
    state.planes[:] = planes
    state.heights[:] = rules.column_heights(game, planes)
    state.to_move[:] = to_move
    return rules.observe(game, state), rules.legal_mask(game, state)


def outcomes(game, spec, opponent, n_games, seed=0):
    players = [make_policy(spec, game, seed=seed), make_policy(opponent, game, seed=seed + 1)]
    result = arena.play_games(game, players, arena.alternate_seats(n_games)).outcome_for(0)
    return int((result == 1).sum()), int((result == 0).sum()), int((result == -1).sum())


# --- strength --------------------------------------------------------------------


def test_alphabeta_4_beats_greedy_and_random_clearly_at_connect_four():
    wins, draws, losses = outcomes(CONNECT_FOUR, "alphabeta:4", "greedy", 40)
    assert wins >= 36 and losses <= 1
    assert outcomes(CONNECT_FOUR, "alphabeta:4", "random", 40) == (40, 0, 0)


def test_alphabeta_9_plays_tictactoe_perfectly():
    rng = np.random.default_rng(0)
    checked = 0
    while checked < 60:
        moves, board = [], rules.Board(TICTACTOE)
        for _ in range(rng.integers(0, 8)):
            move = int(rng.choice(board.legal_moves()))
            board.play(move)
            moves.append(move)
            if board.terminated:
                break
        if board.terminated:
            continue
        observation, mask = position(TICTACTOE, moves)
        child_values = move_values(observation[0], mask[0])
        chosen = int(AlphaBetaPolicy(TICTACTOE, seed=checked, depth=9).act(observation, mask)[0])
        assert child_values[chosen] == max(child_values.values()), (moves, chosen, child_values)
        checked += 1


def test_alphabeta_9_never_loses_tictactoe():
    assert outcomes(TICTACTOE, "alphabeta:9", "random", 100)[2] == 0
    assert outcomes(TICTACTOE, "alphabeta:9", "alphabeta:9", 20) == (0, 20, 0)


# --- values and choices on drawn boards ---------------------------------------------


def test_wins_now_and_blocks_the_opponents_three():
    board = """
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . O O . .
    . X X X O . .
    """
    observation, mask = from_board(CONNECT_FOUR, board, to_move=0)
    for depth in (1, 2, 4):
        values = AlphaBetaPolicy(CONNECT_FOUR, depth=depth).move_values(observation, mask)
        assert values[0, 0] == WIN_SCORE + depth  # column 1 completes X X X
        assert (values[0, 1:] < WIN_SCORE).all()
        assert AlphaBetaPolicy(CONNECT_FOUR, depth=depth).act(observation, mask).tolist() == [0]
    blocking = """
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . X . .
    . O O O X X .
    """
    observation, mask = from_board(CONNECT_FOUR, blocking, to_move=0)
    for depth in (2, 3):
        # O threatens column 1 (and nothing else): anything else loses at once.
        values = AlphaBetaPolicy(CONNECT_FOUR, depth=depth).move_values(observation, mask)[0]
        assert np.argmax(values) == 0
        assert (values[1:] == -(WIN_SCORE + depth - 1)).all()


def test_a_full_column_is_never_chosen():
    observation, mask = position(CONNECT_FOUR, "444444")
    values = AlphaBetaPolicy(CONNECT_FOUR, depth=3).move_values(observation, mask)
    assert values[0, 3] == -np.inf and np.isfinite(np.delete(values[0], 3)).all()
    batch = np.repeat(observation, 30, axis=0), np.repeat(mask, 30, axis=0)
    for seed in range(5):
        assert (AlphaBetaPolicy(CONNECT_FOUR, seed=seed, depth=2).act(*batch) != 3).all()


def test_ties_are_broken_by_the_seed_and_reproducibly():
    # After X takes the center, O draws only with a corner; an edge loses.
    observation, mask = position(TICTACTOE, [4])
    values = AlphaBetaPolicy(TICTACTOE, depth=9).move_values(observation, mask)[0]
    corners, edges = [0, 2, 6, 8], [1, 3, 5, 7]
    assert (values[corners] == 0).all() and (values[edges] < -WIN_SCORE).all() and values[4] == -np.inf
    batch = np.repeat(observation, 12, axis=0), np.repeat(mask, 12, axis=0)
    choices = {seed: AlphaBetaPolicy(TICTACTOE, seed=seed, depth=9).act(*batch).tolist() for seed in range(3)}
    for seed, chosen in choices.items():
        assert set(chosen) <= set(corners) and len(set(chosen)) > 1
        assert AlphaBetaPolicy(TICTACTOE, seed=seed, depth=9).act(*batch).tolist() == chosen
    assert choices[0] != choices[1]


# --- bad input ------------------------------------------------------------------------


def test_bad_specs_and_games_are_refused():
    for spec in ("alphabeta:0", "alphabeta:x", "alphabeta:-2"):
        with pytest.raises(ValueError, match="positive integer"):
            make_policy(spec, CONNECT_FOUR)
    with pytest.raises(ValueError, match="positive integer"):
        AlphaBetaPolicy(CONNECT_FOUR, depth=0)
    with pytest.raises(ValueError, match="64-bit bitboards; gomoku"):
        make_policy("alphabeta:2", "gomoku")
    assert make_policy("alphabeta", TICTACTOE).depth == 4
    observation, mask = position(CONNECT_FOUR, "44")
    with pytest.raises(ValueError, match="observation must be"):
        AlphaBetaPolicy(TICTACTOE).act(observation, mask[:, :7])


# --- both backends -----------------------------------------------------------------------


def test_pure_python_fallback_gives_the_same_values():
    cases = [("connect_four", "4453", 3), ("connect_four", "3445521", 2), ("tictactoe", [4, 0], 7)]
    code = (
        "import json\nfrom boardgym.agents import jit\nfrom boardgym.agents.alphabeta import AlphaBetaPolicy\n"
        "from boardgym.envs import rules\nout = []\n"
        f"for game, moves, depth in {cases!r}:\n"
        "    game = rules.get_game(game); state = rules.replay(game, moves)\n"
        "    values = AlphaBetaPolicy(game, depth=depth).move_values(rules.observe(game, state), rules.legal_mask(game, state))\n"
        "    out.append([v if v > -1e300 else None for v in values[0].tolist()])\n"
        "print(json.dumps({'backend': jit.BACKEND, 'values': out}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "BOARDGYM_NO_JIT": "1"}, cwd=REPO)
    assert result.returncode == 0, result.stderr
    fallback = json.loads(result.stdout)
    assert fallback["backend"] == "python"
    for (game, moves, depth), values in zip(cases, fallback["values"]):
        observation, mask = position(rules.get_game(game), moves)
        compiled = AlphaBetaPolicy(game, depth=depth).move_values(observation, mask)[0]
        assert [v if v > -1e300 else None for v in compiled.tolist()] == values
