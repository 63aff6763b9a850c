"""boardgym environments: k-in-a-row rules, Gymnasium and PettingZoo envs.

Importing this package registers, with string entry points so that nothing
heavy is imported until an environment is made:

* Gymnasium: ``boardgym/ConnectFour-v0``, ``boardgym/TicTacToe-v0`` and
  ``boardgym/Gomoku-v0`` (``gym.make(id, opponent=..., learner_seat=...)``; each
  with a ``vector_entry_point``, so ``gym.make_vec(id, num_envs=4096)`` runs the
  batched engine). ``gym.make("boardgym.envs:boardgym/ConnectFour-v0")`` imports
  this package by itself.
* PettingZoo (its registry exists from pettingzoo 1.25 on; older versions are
  skipped): ``boardgym/connect_four_v0``, ``boardgym/tictactoe_v0`` and
  ``boardgym/gomoku_v0``, as ``pettingzoo.make("aec", "boardgym/connect_four_v0")``.

The AEC modules are also attributes of this package, loaded on first use:
``from boardgym.envs import connect_four_v0; env = connect_four_v0.env()``.
"""

from __future__ import annotations

import importlib

from gymnasium.envs.registration import register

from boardgym.envs.rules import IllegalMoveError

#: (Gymnasium name, class-name prefix, AEC module) per game.
GAMES = [
    ("ConnectFour", "ConnectFour", "connect_four_v0"),
    ("TicTacToe", "TicTacToe", "tictactoe_v0"),
    ("Gomoku", "Gomoku", "gomoku_v0"),
]

# The environments check call order themselves and pass gymnasium's check_env
# in the tests, so gym.make adds neither the OrderEnforcing nor the
# PassiveEnvChecker wrapper: each would cost a Python call layer on every step.
# gym.make(id, disable_env_checker=False) adds the checker back.
for _name, _prefix, _module in GAMES:
    register(
        id=f"boardgym/{_name}-v0",
        entry_point=f"boardgym.envs.gym_env:{_prefix}Env",
        vector_entry_point=f"boardgym.envs.vector_env:{_prefix}VectorEnv",
        order_enforce=False,
        disable_env_checker=True,
    )

try:
    from pettingzoo import register as _register_pettingzoo
except ImportError:  # pettingzoo < 1.25 has no registry: the modules still work
    _register_pettingzoo = None
if _register_pettingzoo is not None:
    for _name, _prefix, _module in GAMES:
        _register_pettingzoo("aec", f"boardgym/{_module}", entry_point=f"boardgym.envs.{_module}:env")

_LAZY_MODULES = {module for _, _, module in GAMES}

__all__ = ["IllegalMoveError", "GAMES", *sorted(_LAZY_MODULES)]


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        return importlib.import_module(f"boardgym.envs.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_MODULES)
