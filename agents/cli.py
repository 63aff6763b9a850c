"""The ``boardgym`` command: the one place that sees envs, agents and pipelines.

Each subcommand's options are generated from a config dataclass (one-line
docstring per field) by ``tyro``; library code never parses arguments.
Subcommands are imported only when used, so ``boardgym --help`` is instant.
"""

from __future__ import annotations

import importlib
import sys

#: command words -> ("module:function", one-line help). The function takes argv
#: (the words after the command) and returns an exit code.
COMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("boardgym.agents.commands:eval_main", "win/draw/loss of a checkpoint against opponents, both seats"),
    "tournament": ("boardgym.agents.commands:tournament_main", "round robin between players, with Elo ratings"),
    "play": ("boardgym.agents.commands:play_main", "play against a checkpoint or a named player in the terminal"),
    "solve": ("boardgym.agents.solver:cli_main", "solve a Connect Four position exactly: score and per-move analysis"),
}


def _usage() -> str:
    width = max((len(name) for name in COMMANDS), default=0)
    lines = ["usage: boardgym <command> [options]   (boardgym <command> --help for its options)", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_text}" for name, (_, help_text) in sorted(COMMANDS.items())]
    return "\n".join(lines)


def _match(argv: list[str]) -> tuple[str | None, list[str]]:
    """The longest command (one or two words) that starts ``argv``."""
    for words in (2, 1):
        name = " ".join(argv[:words])
        if len(argv) >= words and name in COMMANDS:
            return name, argv[words:]
    return None, argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = _match(argv)
    if name is None:
        print(f"boardgym: unknown command {' '.join(argv[:2])!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name][0].partition(":")
    handler = getattr(importlib.import_module(module_name), function)
    try:
        return int(handler(rest) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
