"""Evaluation against a ladder of opponents: wins, draws and losses per seat.

``evaluate(policy, LADDER, "connect_four", n_games=200, seed=0)`` plays
``n_games`` against each opponent through :func:`boardgym.agents.arena.play_games`,
the policy in the first seat in half of them (the even-numbered games) and in
the second seat in the other half. Scripted opponents named by string are built
with a seed derived from ``seed`` and the name, and any player with a
``seed(seed)`` method is reseeded the same way before each match, so a report
is reproducible for the same seed whatever the order of the opponents.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from boardgym.agents.arena import Games, alternate_seats, play_games
from boardgym.agents.scripted import make_policy
from boardgym.envs import rules
from boardgym.envs.rules import Game, get_game

#: The strength ladder every learner is measured on, weakest first.
LADDER = ("random", "greedy", "alphabeta:2", "alphabeta:4")


def ladder(game: Game | str) -> tuple[str, ...]:
    """The :data:`LADDER` rungs that can play ``game``: alpha-beta searches 64-bit
    bitboards, so Gomoku's ladder is random and greedy."""
    game = get_game(game)
    return LADDER if game.uses_bitboards else tuple(name for name in LADDER if not name.startswith("alphabeta"))


#: Seat labels in reports: the policy moving first, second, and both together.
SEATS = ("first", "second", "total")


@dataclass(frozen=True)
class Record:
    """Wins, draws and losses of the evaluated policy over some games."""

    wins: int
    draws: int
    losses: int
    mean_length: float

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    def rate(self, result: str) -> float:
        """Share of games with ``result`` in ("win", "draw", "loss"); 0 when no games."""
        count = {"win": self.wins, "draw": self.draws, "loss": self.losses}[result]
        return count / self.games if self.games else 0.0

    @property
    def score(self) -> float:
        """Points per game, a draw counting half (the Elo score)."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else 0.0

    @classmethod
    def from_outcomes(cls, outcomes: np.ndarray, lengths: np.ndarray) -> "Record":
        return cls(wins=int((outcomes > 0).sum()), draws=int((outcomes == 0).sum()),
                   losses=int((outcomes < 0).sum()),
                   mean_length=float(lengths.mean()) if len(lengths) else 0.0)


@dataclass(frozen=True)
class MatchResult:
    """The games against one opponent; the evaluated policy is index 0 in ``games.seats``."""

    opponent: str
    games: Games

    @property
    def outcomes(self) -> np.ndarray:
        """+1/0/-1 per game from the evaluated policy's side (ready for ``EloTable.add_games``)."""
        return self.games.outcome_for(0)

    def record(self, seat: str = "total") -> Record:
        """The policy's record in ``seat``: "first", "second" or "total"."""
        if seat not in SEATS:
            raise ValueError(f"seat must be one of {SEATS}, got {seat!r}")
        chosen = np.ones(len(self.games.winners), dtype=bool)
        if seat != "total":
            chosen = self.games.seats[:, SEATS.index(seat)] == 0
        return Record.from_outcomes(self.outcomes[chosen], self.games.lengths[chosen])


@dataclass(frozen=True)
class EvalReport:
    """Results of one evaluation, opponent by opponent in the order given."""

    game: str
    n_games: int
    seed: int
    matches: dict[str, MatchResult]

    def __getitem__(self, opponent: str) -> MatchResult:
        return self.matches[opponent]

    def table(self) -> str:
        """A printable win/draw/loss table: one row per opponent and seat."""
        width = max([len(name) for name in self.matches] + [8])
        header = (f"{'opponent'.ljust(width)}  {'seat':<6}  {'games':>5}  {'win':>6}  {'draw':>6}  "
                  f"{'loss':>6}  {'length':>6}")
        lines = [f"{self.game}, {self.n_games} games per opponent, seed {self.seed}", header, "-" * len(header)]
        for name, match in self.matches.items():
            for seat in SEATS:
                r = match.record(seat)
                lines.append(f"{(name if seat == 'first' else '').ljust(width)}  {seat:<6}  {r.games:5d}  "
                             f"{r.rate('win'):6.1%}  {r.rate('draw'):6.1%}  {r.rate('loss'):6.1%}  "
                             f"{r.mean_length:6.1f}")
        return "\n".join(lines)

    def as_scalars(self) -> dict[str, float]:
        """``eval/<opponent>/{win,draw,loss}`` rates over both seats, for TensorBoard.

        Characters outside TensorBoard's tag alphabet (such as the ``:`` of
        ``alphabeta:4``) become ``_`` (:func:`tag_name`), so the keys here are the
        tags the run's logger writes.
        """
        scalars = {}
        for name, match in self.matches.items():
            record = match.record()
            for result in ("win", "draw", "loss"):
                scalars[f"eval/{tag_name(name)}/{result}"] = record.rate(result)
        return scalars

    def record_elo(self, table, player: str) -> None:
        """Add every game of this report to an :class:`~boardgym.agents.elo.EloTable` as ``player``."""
        for name, match in self.matches.items():
            table.add_games(player, name, match.outcomes)


def tag_name(name: str) -> str:
    r"""``name`` with characters outside ``[-/\w.]`` (TensorFlow's tag rule) replaced by ``_``."""
    return re.sub(r"[^-/\w.]", "_", name)


def derived_seed(seed: int, label: str) -> int:
    """A seed for one named participant, stable across runs and opponent orders."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(label.encode())]).generate_state(1)[0])


def _label(spec) -> str:
    if isinstance(spec, str):
        return spec
    return str(getattr(spec, "name", None) or type(spec).__name__)


def opening_states(game: Game, openings: Sequence[str], n_games: int) -> rules.State:
    """Start positions for ``n_games``: game ``g`` starts from opening
    ``(g // 2) % len(openings)``, so each opening is played once from each seat
    (with :func:`alternate_seats`)."""
    if not openings:
        raise ValueError("openings is empty: give at least one position (a move string)")
    boards = [rules.replay(game, opening) for opening in openings]
    for opening, board in zip(openings, boards):
        if board.terminated[0]:
            raise ValueError(f"opening {opening!r} is already a finished game")
    state = rules.initial(game, n_games)
    for g in range(n_games):
        state.put([g], boards[(g // 2) % len(boards)])
    return state


def random_openings(game: Game | str, count: int, plies: int, seed: int = 0) -> list[str]:
    """``count`` openings of ``plies`` uniformly random legal moves (move strings,
    none of them a finished game), distinct while there are enough of them.

    Two greedy networks play the same game every time from the empty board;
    starting each pair of games from a different opening is how matches between
    deterministic players (checkpoints, alpha-beta) sample more than one game.
    """
    game = get_game(game)
    if count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    if not 0 < plies < game.n_cells:
        raise ValueError(f"plies must be between 1 and {game.n_cells - 1} for {game.name}, got {plies!r}")
    rng = np.random.default_rng(seed)
    found: dict[str, None] = {}
    for _ in range(50 * count):
        board = rules.Board(game)
        while len(board.moves) < plies and not board.terminated:
            board.play(int(rng.choice(board.legal_moves())))
        if not board.terminated:
            found[rules.encode_moves(game, board.moves)] = None
            if len(found) == count:
                break
    if not found:
        raise ValueError(f"no unfinished {plies}-ply opening of {game.name} was found")
    distinct = list(found)
    return [distinct[i % len(distinct)] for i in range(count)]


def evaluate(policy, opponents, game: Game | str, n_games: int = 200, seed: int = 0,
             greedy: bool = True, openings: Sequence[str] | None = None) -> EvalReport:
    """Play ``policy`` against each opponent ``n_games`` times, half in each seat.

    ``opponents`` is a sequence of names (``"alphabeta:4"``, checkpoint paths)
    or policies, or a mapping from report labels to either. ``policy`` may be a
    policy or a name too. ``greedy`` is passed to every player's ``act``.
    ``openings`` (move strings) makes games start from those positions, each
    played from both seats; the seat is still that of the game's first player.
    This is how the ``solver`` (slow before about 8 stones) joins the ladder.
    """
    game = get_game(game)
    if not isinstance(n_games, (int, np.integer)) or n_games < 1:
        raise ValueError(f"n_games must be a positive integer, got {n_games!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(opponents, str) or not isinstance(opponents, (Sequence, Mapping)):
        raise ValueError(f"opponents must be a list of names/policies or a mapping, got {opponents!r}")
    labelled = dict(opponents) if isinstance(opponents, Mapping) else {_label(o): o for o in opponents}
    if not labelled:
        raise ValueError("opponents is empty: give at least one name or policy")
    player = make_policy(policy, game, seed=derived_seed(seed, "policy"))
    start = None if openings is None else opening_states(game, list(openings), int(n_games))
    matches = {}
    for label, spec in labelled.items():
        opponent = make_policy(spec, game, seed=derived_seed(seed, label))
        for participant, role in ((player, "policy"), (opponent, label)):
            if callable(getattr(participant, "seed", None)):
                participant.seed(derived_seed(seed, f"{role} vs {label}"))
        games = play_games(game, [player, opponent], alternate_seats(n_games), greedy=greedy, start=start)
        matches[label] = MatchResult(label, games)
    return EvalReport(game=game.name, n_games=int(n_games), seed=int(seed), matches=matches)
