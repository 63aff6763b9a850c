"""Opponent names for the single-agent environments.

The environments take an opponent as a policy object or a name (``"random"``,
``"greedy"``, ``"alphabeta:4"``, a checkpoint path). Names are resolved through
a string entry point, as Gymnasium resolves environment ids, so importing
``boardgym.envs`` stays cheap and never imports the agents package itself.

What the environments ask of an opponent:

* ``act(observation, action_mask) -> actions`` over a batch (int8
  ``(B, 2, rows, cols)`` from the opponent's view and int8 ``(B, n_actions)``),
  returning legal moves; the vector environment calls it once per step on the
  boards where the opponent is to move.
* optionally ``act_single(observation, action_mask) -> int`` for one board
  (``(2, rows, cols)`` and ``(n_actions,)``); the single-agent environment uses
  it when present, because a batch of one pays the batch overhead on every move.
* optionally ``seed(seed)``; ``reset(seed=...)`` calls it so that the seed
  governs the opponent too.
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


def opponent_mover(policy):
    """A function ``(observation, action_mask) -> move`` for one board."""
    act_single = getattr(policy, "act_single", None)
    if act_single is not None:
        return act_single

    def act_on_batch_of_one(observation, action_mask):
        return policy.act(observation[None], action_mask[None])[0]

    return act_on_batch_of_one
