"""Checkpoints: one ``.pt`` file per save, written atomically, read safely.

A checkpoint is a dict of tensors and plain Python values::

    {"format": "boardgym-checkpoint", "version": 1, "game": "connect_four",
     "algo": "dqn", "config": {...}, "learner_config": {...}, "step": 123456,
     "model": {...state dicts...}, "optimizer": {...}, "learner": {counters, rng},
     "encoder": {"name": "planes", "config": {...}}, "rng": {...},
     "pool": {...}, "elo": {...}, "trainer": {...}}

It is written to a temporary file in the same directory and renamed over the
target, so a crash never leaves half a file under the real name. It is read
with ``torch.load(weights_only=True)``: a pickle that would run code is refused
before anything in it executes. A file of another format, another game or a
newer version, a truncated file and a missing key all raise
:class:`CheckpointError` (a ValueError) with the reason.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
import warnings
import zipfile
from dataclasses import asdict
from pathlib import Path

import torch

from boardgym.agents.encoders import make_encoder
from boardgym.envs.rules import Game, get_game

FORMAT = "boardgym-checkpoint"
VERSION = 1
REQUIRED_KEYS = ("format", "version", "game", "algo", "config", "learner_config", "step", "model", "encoder")


class CheckpointError(ValueError):
    """A file that is not a usable boardgym checkpoint."""


def learner_classes(algo: str):
    """(learner class, config class) for an algorithm name."""
    from boardgym.agents.dqn import DQNConfig, DQNLearner
    from boardgym.agents.reinforce import ReinforceConfig, ReinforceLearner

    classes = {"dqn": (DQNLearner, DQNConfig), "reinforce": (ReinforceLearner, ReinforceConfig)}
    if algo not in classes:
        raise ValueError(f"unknown algorithm {algo!r}; known: {sorted(classes)}")
    return classes[algo]


def save_checkpoint(path: str | os.PathLike, payload: dict) -> Path:
    """Write ``payload`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _load_error(err: Exception) -> str:
    """The informative part of a torch.load error: the unpickler's own complaint
    (not torch's advice to retry unsafely), else the first line, else the type."""
    text = str(err)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def load_checkpoint(path: str | os.PathLike, game: Game | str | None = None) -> dict:
    """Read and validate a checkpoint; ``game`` (optional) must match its game."""
    path = Path(path)
    if path.is_dir():
        raise FileNotFoundError(f"{path} is a directory; give a checkpoint file in it, such as "
                                f"{path / 'latest.pt'} or {path / 'best.pt'}")
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    with open(path, "rb") as file:
        head = file.read(4)
    if not head:
        raise CheckpointError(f"{path} is empty, not a checkpoint")
    if not (head.startswith(b"PK") or head.startswith(b"\x80")):  # torch.save's zip archive, or a pickle
        raise CheckpointError(f"{path} is not a checkpoint file (neither a torch.save archive nor a pickle)")
    try:
        with warnings.catch_warnings():
            # Plain pickles (not torch.save files) make torch warn about their protocol; they are refused below anyway.
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path} is not a boardgym checkpoint: it holds objects other than tensors and plain values, "
            f"and was refused without running any of it ({_load_error(err)})") from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as err:
        raise CheckpointError(f"{path} is truncated or corrupt and cannot be read ({_load_error(err)})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        found = checkpoint.get("format") if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise CheckpointError(f"{path} is not a boardgym checkpoint (format {found!r}, expected {FORMAT!r})")
    version = checkpoint.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(f"{path} was written by a newer boardgym (checkpoint version {version!r}, "
                              f"this boardgym reads up to {VERSION}); upgrade boardgym to load it")
    missing = [key for key in REQUIRED_KEYS if key not in checkpoint]
    if missing:
        raise CheckpointError(f"{path} is missing required keys {missing}")
    if game is not None and get_game(game).name != checkpoint["game"]:
        raise CheckpointError(f"{path} is a {checkpoint['game']} checkpoint, not {get_game(game).name}")
    return checkpoint


def learner_from_checkpoint(checkpoint: dict, seed: int = 0, *, full_state: bool = True):
    """Rebuild the learner (config, encoder, weights; with ``full_state`` also the
    optimizer, counters and generators, for resuming)."""
    learner_class, config_class = learner_classes(checkpoint["algo"])
    try:
        config = config_class(**checkpoint["learner_config"])
    except TypeError as err:
        raise CheckpointError(f"checkpoint learner config does not match this boardgym: {err}") from None
    encoder = make_encoder(checkpoint["encoder"]["name"], checkpoint["game"], **checkpoint["encoder"]["config"])
    learner = learner_class(checkpoint["game"], config, encoder=encoder, seed=seed)
    if full_state:
        learner.load_state_dict({"model": checkpoint["model"], "optimizer": checkpoint["optimizer"],
                                 **checkpoint["learner"]})
    else:
        learner.network.load_state_dict(checkpoint["model"]["network"])
    return learner


def trainer_checkpoint(trainer) -> dict:
    """Everything needed to resume ``trainer`` (a SelfPlayTrainer), as a checkpoint dict."""
    learner = trainer.learner
    learner_state = learner.state_dict()
    return {
        "format": FORMAT, "version": VERSION, "game": trainer.game.name, "algo": learner.algo,
        "config": trainer.run_config, "learner_config": asdict(learner.config), "step": int(trainer.step),
        "model": learner_state["model"], "optimizer": learner_state["optimizer"],
        "learner": {"counters": learner_state["counters"], "rng": learner_state["rng"]},
        "encoder": {"name": learner.encoder.name, "config": learner.encoder.config()},
        "rng": {"python": random.getstate(), "torch": torch.get_rng_state()},
        "pool": trainer.pool.state_dict(), "elo": trainer.elo.state_dict(), "trainer": trainer.state_dict(),
    }


def restore_trainer(trainer, checkpoint: dict) -> None:
    """Put a freshly built trainer (from the checkpoint's learner) back in the saved state."""
    trainer.step = int(checkpoint["step"])
    trainer.pool.load_state_dict(checkpoint["pool"])
    trainer.elo.load_state_dict(checkpoint["elo"])
    trainer.load_state_dict(checkpoint["trainer"])
    random.setstate(checkpoint["rng"]["python"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    trainer._reset_window()


class CheckpointPolicy:
    """A trained policy loaded from a checkpoint; always plays greedily."""

    def __init__(self, policy, name: str, game: Game, step: int):
        self.policy, self.name, self.game, self.step = policy, name, game, step

    def seed(self, seed: int | None) -> None:
        self.policy.seed(seed)

    def act(self, observation, action_mask, *, greedy: bool = True):
        return self.policy.act(observation, action_mask, greedy=True)

    def __repr__(self) -> str:
        return f"CheckpointPolicy({self.name!r}, game={self.game.name!r}, step={self.step})"


def load_policy(path: str | os.PathLike, game: Game | str | None = None, seed: int | None = None) -> CheckpointPolicy:
    """The greedy policy of a checkpoint, usable anywhere a Policy or an opponent is."""
    checkpoint = load_checkpoint(path, game)
    learner = learner_from_checkpoint(checkpoint, full_state=False)
    policy = learner.frozen_policy(seed=seed)
    return CheckpointPolicy(policy, os.fspath(path), learner.game, int(checkpoint["step"]))
