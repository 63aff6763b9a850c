"""The ``boardgym`` command: the one place that sees envs, agents and pipelines.

Each subcommand's options are generated from a config dataclass (one-line
docstring per field) by ``tyro``; library code never parses arguments.
Subcommands are imported only when used, so ``boardgym --help`` is instant.
"""

from __future__ import annotations

import importlib
import os
import sys

#: command words -> ("module:function", one-line help). The function takes argv
#: (the words after the command) and returns an exit code.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("boardgym.agents.training:train", "train a DQN or REINFORCE agent by self-play (TensorBoard, checkpoints)"),
    "demo": ("boardgym.agents.training:demo", "train DQN on Connect Four for a few minutes, then evaluate it"),
    "eval": ("boardgym.agents.commands:eval_main", "win/draw/loss of a checkpoint against opponents, both seats"),
    "tournament": ("boardgym.agents.commands:tournament_main", "round robin between players, with Elo ratings"),
    "play": ("boardgym.agents.commands:play_main", "play against a checkpoint or a named player in the terminal"),
    "solve": ("boardgym.agents.solver:cli_main", "solve a Connect Four position exactly: score and per-move analysis"),
    "pipelines regression": ("boardgym.agents.pipeline_commands:regression",
                             "tutorial 64-32-1 network vs linear regression on diabetes, held-out RMSE and R^2"),
    "pipelines kfold": ("boardgym.agents.pipeline_commands:kfold",
                        "tutorial 5-fold cross-validation of GaussianNB on wine, pooled accuracy"),
    "pipelines autoencoder": ("boardgym.agents.pipeline_commands:autoencoder",
                              "tutorial autoencoder on digits (28x28), held-out reconstruction MSE and a PNG"),
    "pipelines bovw": ("boardgym.agents.pipeline_commands:bovw",
                       "K-Means visual words on autoencoder latents, precision@10 of three representations"),
    "experiment encoders": ("boardgym.agents.experiments:encoders_main",
                            "DQN with each encoder (planes, autoencoder, bovw), same time budget and seeds"),
    "experiment outcome": ("boardgym.agents.outcome_experiment:outcome_main",
                           "K-fold models predicting UCI connect-4 outcomes and Pons scores from positions"),
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


def _dispatch(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = _match(argv)
    if name is None:
        print(f"boardgym: unknown command {' '.join(argv[:2])!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name][0].partition(":")
    handler = getattr(importlib.import_module(module_name), function)
    return int(handler(rest) or 0)


def main(argv: list[str] | None = None) -> int:
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
