"""Speed of the Connect Four solver on Pascal Pons' test sets and on early positions.

Prints one JSON line per (set, mode, backend): mean and max milliseconds per
position, positions per second, mean explored nodes, how many scores match the
file, and beside them Pons' published figures for his C++ solver on the same
set (nodes per position compare across machines; times do not). Every position
starts from an empty transposition table (the reset is not timed, as in Pons'
harness); the time includes parsing the move string. The pure-Python fallback
runs on the first ``python_limit`` positions of each file in a subprocess with
``BOARDGYM_NO_JIT=1``, and its line carries the compiled solver's speed-up on
those same positions.

    .venv/bin/python benchmarks/bench_solver.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tyro

from boardgym.agents import jit
from boardgym.agents.solver import Solver, read_positions
from boardgym.envs import rules

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pons_connect4"

#: Pascal Pons, "Solving Connect 4: how to build a perfect AI", part 12 "Lower
#: bound transposition table" (blog.gamesolver.org, 2017-10-28; source:
#: github.com/gamesolver/gamesolver.github.io, _solving-connect-four/
#: 12-lower-bound-transposition-table.md), benchmark table of his final C++
#: solver without opening book: mean time per position, mean explored nodes.
PONS_SOURCE = "blog.gamesolver.org Solving Connect 4, part 12 (lower bound transposition table), C++"
PONS_CPP = {
    ("Test_L3_R1", "strong"): {"name": "End-Easy", "mean_ms": 0.004568, "mean_nodes": 51.28},
    ("Test_L2_R1", "strong"): {"name": "Middle-Easy", "mean_ms": 0.03745, "mean_nodes": 449.6},
    ("Test_L3_R1", "weak"): {"name": "End-Easy", "mean_ms": 0.003217, "mean_nodes": 29.36},
    ("Test_L2_R1", "weak"): {"name": "Middle-Easy", "mean_ms": 0.04773, "mean_nodes": 532.7},
}
#: Pons' hardest early set (Begin-Hard, 14 stones or fewer, long games), for
#: context beside random openings: not the same positions.
PONS_BEGIN_HARD = {"name": "Begin-Hard (Test_L1_R3, not published here)", "mean_ms": 5490.0, "mean_nodes": 65_920_000}
#: Issue 6's targets on this machine (mean milliseconds per position, strong solver).
TARGET_MEAN_MS = {"Test_L3_R1": 0.5, "Test_L2_R1": 5.0, "random_openings": 10_000.0}


@dataclass
class BenchConfig:
    """Benchmark the Connect Four solver."""

    sets: tuple[str, ...] = ("Test_L3_R1", "Test_L2_R1")
    """Pons test files to run, from shared/data/pons_connect4."""
    modes: tuple[str, ...] = ("strong", "weak")
    """strong (exact score) and/or weak (win/draw/loss)."""
    limit: int = 0
    """Positions per file (0 = all)."""
    openings: int = 20
    """Random openings to solve (strong), 0 for none."""
    opening_plies: int = 10
    """Stones in each random opening (14 or fewer is an early position)."""
    seed: int = 0
    """Seed of the random openings."""
    python_limit: int = 100
    """Positions per file for the pure-Python peer (0 = skip it)."""


def random_openings(count: int, plies: int, seed: int) -> list[str]:
    """Move strings of ``count`` random games stopped after ``plies`` moves, still running."""
    rng = np.random.default_rng(seed)
    openings = []
    while len(openings) < count:
        board = rules.Board(rules.CONNECT_FOUR)
        while board.num_moves < plies and not board.terminated:
            board.play(int(rng.choice(board.legal_moves())))
        if not board.terminated:
            openings.append(rules.encode_moves(rules.CONNECT_FOUR, board.moves))
    return openings


def measure(solver: Solver, entries: list[tuple[str, int | None]], weak: bool) -> dict:
    """Per-position times (s), nodes and correctness, each from an empty table."""
    times, nodes, correct = [], [], 0
    for moves, expected in entries:
        solver.reset()
        started = time.perf_counter()
        score = solver.solve(moves, weak=weak)
        times.append(time.perf_counter() - started)
        nodes.append(solver.nodes)
        if expected is not None:
            correct += score == (int(np.sign(expected)) if weak else expected)
    return {"times": np.array(times), "nodes": np.array(nodes), "correct": correct}


def summary(name: str, mode: str, entries: list, result: dict) -> dict:
    times, nodes = result["times"], result["nodes"]
    line = {
        "benchmark": "solver", "set": name, "mode": mode, "backend": jit.BACKEND, "positions": len(entries),
        "mean_ms": round(1000 * times.mean(), 4), "max_ms": round(1000 * times.max(), 4),
        "positions_per_s": round(len(times) / times.sum(), 1), "mean_nodes": round(float(nodes.mean()), 2),
        "knodes_per_s": round(nodes.sum() / times.sum() / 1000, 1),
    }
    if all(expected is not None for _, expected in entries):
        line["correct"] = result["correct"]
    pons = PONS_CPP.get((name, mode))
    if pons is not None:
        line["pons_cpp"] = {**pons, "source": PONS_SOURCE}
        line["nodes_ratio_to_pons"] = round(line["mean_nodes"] / pons["mean_nodes"], 3)
        line["time_ratio_to_pons"] = round(line["mean_ms"] / pons["mean_ms"], 1)
    elif name == "random_openings":
        line["pons_cpp_context"] = {**PONS_BEGIN_HARD, "source": PONS_SOURCE}
    if mode == "strong" and name in TARGET_MEAN_MS:
        line["target_mean_ms"] = TARGET_MEAN_MS[name]
        line["meets_target"] = bool(line["mean_ms"] < TARGET_MEAN_MS[name])
    return line


def run_python_peer(config: BenchConfig, compiled: dict) -> None:
    """The pure-Python fallback on the first positions, with the compiled speed-up on the same ones."""
    args = [sys.executable, __file__, "--sets", *config.sets, "--modes", "strong", "--limit",
            str(config.python_limit), "--openings", "0", "--python-limit", "0"]
    result = subprocess.run(args, capture_output=True, text=True, check=True,
                            env={**os.environ, jit.NO_JIT_ENV: "1"})
    for text in result.stdout.splitlines():
        line = json.loads(text)
        times = compiled[line["set"]]["times"][: line["positions"]]
        line["compiled_speedup"] = round(line["mean_ms"] / (1000 * times.mean()), 1)
        print(json.dumps(line), flush=True)


def main(config: BenchConfig) -> None:
    solver = Solver()
    solver.solve("4455")  # compile (or load the cache) before timing
    compiled = {}
    for name in config.sets:
        entries = read_positions(DATA / name)
        entries = entries[: config.limit] if config.limit else entries
        for mode in config.modes:
            result = measure(solver, entries, weak=mode == "weak")
            if mode == "strong":
                compiled[name] = result
            print(json.dumps(summary(name, mode, entries, result)), flush=True)
    if config.openings:
        entries = [(moves, None) for moves in random_openings(config.openings, config.opening_plies, config.seed)]
        line = summary("random_openings", "strong", entries, measure(solver, entries, weak=False))
        line["plies"] = config.opening_plies
        print(json.dumps(line), flush=True)
    if config.python_limit and jit.ENABLED and "strong" in config.modes:
        run_python_peer(config, compiled)


if __name__ == "__main__":
    main(tyro.cli(BenchConfig))
