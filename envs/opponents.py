"""Opponent names for the single-agent environments.

The environments take an opponent as a policy object or a name (``"random"``,
``"greedy"``, ``"alphabeta:4"``, a checkpoint path). Names are resolved through
a string entry point, as Gymnasium resolves environment ids, so importing
``boardgym.envs`` stays cheap and never imports the agents package itself.
"""

from __future__ import annotations

import importlib

#: "module:function" called as ``factory(spec, game, seed=...)``.
OPPONENT_FACTORY = "boardgym.agents.scripted:make_policy"


def make_opponent(spec, game, seed: int | None = None):
    """A policy object for ``spec``; a policy (anything with ``act``) is returned as is."""
    if hasattr(spec, "act"):
        return spec
    module_name, _, attr = OPPONENT_FACTORY.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(spec, game=game, seed=seed)
