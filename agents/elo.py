"""Elo ratings on the usual 400-point logistic scale.

Two tools: the online :func:`elo_update` (one game at a time, order-dependent,
as chess federations do it) and :class:`EloTable`, which keeps every game ever
recorded between named players and fits all ratings at once by maximum
likelihood (the Bradley-Terry model, which is what Elo's formula assumes):

    P(a beats b) = 1 / (1 + 10 ** ((r_b - r_a) / 400))

Draws count as half a win for each side. Self-play snapshots and the scripted
ladder go into one table, ``random`` anchored at 0, so a rating means the same
thing however the games were scheduled.

**Prior.** A player that never lost has no finite maximum-likelihood rating, so
:meth:`EloTable.fit` adds ``prior_draws`` virtual drawn games (default 1) to
every pair of players that met (the "virtual draws" prior of BayesElo). For
two players with ``n`` games scoring ``s`` (wins + draws / 2) the fitted gap is
then exactly ``400 * log10(p / (1 - p))`` with ``p = (s + prior_draws / 2) /
(n + prior_draws)``; with hundreds of games the prior moves a rating by a few
points at most, while an undefeated player ends near +1160 above its victim
after 400 wins instead of at infinity.
"""

from __future__ import annotations

import math
import numpy as np

#: Rating points per factor of ten in the odds of winning.
SCALE = 400.0
_NATURAL = math.log(10.0) / SCALE  # rating points -> natural log-odds


def expected_score(r_a: float, r_b: float) -> float:
    """Expected score (win = 1, draw = 1/2) of a player rated ``r_a`` against ``r_b``."""
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / SCALE))


def elo_update(r_a: float, r_b: float, score_a: float, k: float = 32.0) -> tuple[float, float]:
    """Ratings after one game in which ``a`` scored ``score_a`` (1 win, 0.5 draw, 0 loss)."""
    if not 0.0 <= score_a <= 1.0:
        raise ValueError(f"score_a must be in [0, 1] (1 win, 0.5 draw, 0 loss), got {score_a!r}")
    delta = k * (score_a - expected_score(r_a, r_b))
    return r_a + delta, r_b - delta


def _counts_from_outcomes(outcomes) -> tuple[int, int, int]:
    """(wins, draws, losses) from +1/0/-1 outcomes; NaN entries (games not played) are skipped."""
    outcomes = np.asarray(outcomes, dtype=np.float64).ravel()
    outcomes = outcomes[~np.isnan(outcomes)]
    unknown = outcomes[~np.isin(outcomes, (-1.0, 0.0, 1.0))]
    if unknown.size:
        raise ValueError(f"outcomes must be +1 (win), 0 (draw) or -1 (loss), got {unknown[:5].tolist()}")
    return int((outcomes == 1).sum()), int((outcomes == 0).sum()), int((outcomes == -1).sum())


class EloTable:
    """All games between named players, and their Elo ratings fitted from them.

    ``anchor`` is the player whose rating is fixed at ``anchor_rating``;
    ``prior_draws`` virtual draws per pair keep undefeated players finite (see
    the module docstring).
    """

    def __init__(self, anchor: str = "random", anchor_rating: float = 0.0, prior_draws: float = 1.0):
        if not prior_draws > 0:
            raise ValueError(f"prior_draws must be positive (it keeps unbeaten ratings finite), got {prior_draws!r}")
        self.anchor = anchor
        self.anchor_rating = float(anchor_rating)
        self.prior_draws = float(prior_draws)
        #: (a, b) with a < b -> [wins of a, draws, losses of a]
        self._records: dict[tuple[str, str], list[int]] = {}
        self._fitted: dict[str, float] | None = None

    @property
    def players(self) -> list[str]:
        """Names that have played at least one recorded game, sorted."""
        return sorted({name for pair in self._records for name in pair})

    def record(self, name_a: str, name_b: str) -> tuple[int, int, int]:
        """(wins, draws, losses) of ``name_a`` against ``name_b`` so far."""
        if name_a <= name_b:
            wins, draws, losses = self._records.get((name_a, name_b), (0, 0, 0))
            return wins, draws, losses
        losses, draws, wins = self._records.get((name_b, name_a), (0, 0, 0))
        return wins, draws, losses

    def add_games(self, name_a: str, name_b: str, outcomes_for_a=None, *,
                  wins: int = 0, draws: int = 0, losses: int = 0) -> None:
        """Record games of ``name_a`` against ``name_b``: an array of outcomes for
        ``a`` (+1 win, 0 draw, -1 loss; NaN skipped, as in ``Games.outcome_for``)
        and/or counts ``wins``/``draws``/``losses`` from ``a``'s side."""
        if not isinstance(name_a, str) or not isinstance(name_b, str):
            raise TypeError(f"player names must be strings, got {name_a!r} and {name_b!r}")
        if name_a == name_b:
            raise ValueError(f"a player cannot be rated on games against itself ({name_a!r})")
        counts = [int(wins), int(draws), int(losses)]
        if min(counts) < 0:
            raise ValueError(f"wins, draws and losses must be non-negative, got {counts}")
        if outcomes_for_a is not None:
            counts = [c + extra for c, extra in zip(counts, _counts_from_outcomes(outcomes_for_a))]
        if sum(counts) == 0:
            return
        if name_a > name_b:
            name_a, name_b, counts = name_b, name_a, counts[::-1]
        total = self._records.setdefault((name_a, name_b), [0, 0, 0])
        for i, count in enumerate(counts):
            total[i] += count
        self._fitted = None

    def fit(self, anchor: str | None = None, anchor_rating: float | None = None) -> dict[str, float]:
        """Maximum-likelihood ratings of every player from all recorded games.

        ``anchor`` (default: the table's) is fixed at ``anchor_rating``. Raises
        ValueError if the anchor has no games or some players are not linked to
        it by any chain of games (their ratings would be undetermined).
        """
        anchor = self.anchor if anchor is None else anchor
        anchor_rating = self.anchor_rating if anchor_rating is None else float(anchor_rating)
        players = self.players
        if not players:
            return {}
        if anchor not in players:
            raise ValueError(f"anchor {anchor!r} has no recorded games; players: {players}")
        index = {name: i for i, name in enumerate(players)}
        games = np.zeros((len(players), len(players)))
        score = np.zeros_like(games)  # score[i, j]: points of i against j, prior included
        for (a, b), (wins, draws, losses) in self._records.items():
            i, j = index[a], index[b]
            n = wins + draws + losses + self.prior_draws
            games[i, j] = games[j, i] = n
            score[i, j] = wins + 0.5 * (draws + self.prior_draws)
            score[j, i] = n - score[i, j]
        _check_connected(players, games, index[anchor])
        log_odds = _newton_bradley_terry(games, score, index[anchor])
        ratings = anchor_rating + log_odds / _NATURAL
        return {name: float(ratings[index[name]]) for name in players}

    @property
    def ratings(self) -> dict[str, float]:
        """The fit with the table's own anchor (cached until games are added)."""
        if self._fitted is None:
            self._fitted = self.fit()
        return dict(self._fitted)

    def state_dict(self) -> dict:
        """Plain Python values only (safe for ``torch.load(weights_only=True)``)."""
        return {
            "anchor": self.anchor,
            "anchor_rating": self.anchor_rating,
            "prior_draws": self.prior_draws,
            "records": [[a, b, *counts] for (a, b), counts in sorted(self._records.items())],
        }

    def load_state_dict(self, state: dict) -> None:
        """Replace this table's contents with a :meth:`state_dict`; on bad input nothing changes."""
        try:
            fresh = EloTable(str(state["anchor"]), float(state["anchor_rating"]), float(state["prior_draws"]))
            for a, b, wins, draws, losses in state["records"]:
                fresh.add_games(a, b, wins=wins, draws=draws, losses=losses)
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not an EloTable state_dict: {err!r}") from err
        self.__dict__.update(fresh.__dict__)

    def table(self) -> str:
        """Ratings, best first, with each player's total record."""
        ratings = self.ratings
        width = max([len(name) for name in ratings] + [6])
        lines = [f"{'player'.ljust(width)}  {'elo':>7}  {'games':>6}  {'W-D-L':>13}"]
        for name in sorted(ratings, key=ratings.get, reverse=True):
            wins, draws, losses = (sum(col) for col in zip(*(self.record(name, other) for other in ratings)))
            lines.append(f"{name.ljust(width)}  {ratings[name]:7.1f}  {wins + draws + losses:6d}  "
                         f"{f'{wins}-{draws}-{losses}':>13}")
        return "\n".join(lines)


def _check_connected(players: list[str], games: np.ndarray, anchor: int) -> None:
    reached = {anchor}
    frontier = [anchor]
    while frontier:
        for j in np.flatnonzero(games[frontier.pop()]):
            if int(j) not in reached:
                reached.add(int(j))
                frontier.append(int(j))
    if len(reached) < len(players):
        cut_off = [players[i] for i in range(len(players)) if i not in reached]
        raise ValueError(f"players {cut_off} have no chain of games to the anchor {players[anchor]!r}")


def _newton_bradley_terry(games: np.ndarray, score: np.ndarray, anchor: int,
                          tolerance: float = 1e-10, max_iterations: int = 100) -> np.ndarray:
    """Natural log-odds strengths maximising the Bradley-Terry likelihood, anchor at 0.

    The log-likelihood is strictly concave once the anchor is fixed (the prior
    makes every pair that met score strictly between 0 and n), so Newton's
    method with step halving converges in a handful of iterations.
    """
    free = np.array([i for i in range(len(games)) if i != anchor], dtype=np.intp)
    theta = np.zeros(len(games))

    def log_likelihood(theta: np.ndarray) -> float:
        diff = theta[:, None] - theta[None, :]
        return float((score * -np.logaddexp(0.0, -diff)).sum())

    current = log_likelihood(theta)
    for _ in range(max_iterations):
        win_prob = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
        gradient = (score - games * win_prob).sum(axis=1)
        weight = games * win_prob * win_prob.T
        hessian = weight - np.diag(weight.sum(axis=1))
        step = np.linalg.solve(hessian[np.ix_(free, free)], -gradient[free])
        scale = 1.0
        while True:
            candidate = theta.copy()
            candidate[free] += scale * step
            value = log_likelihood(candidate)
            if value >= current - 1e-12 or scale < 1e-6:
                break
            scale *= 0.5
        theta, current = candidate, value
        if np.abs(scale * step).max() < tolerance:
            break
    return theta

