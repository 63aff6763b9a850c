"""Encoders: the front of every learner's network, turning observation planes
into a feature vector.

An :class:`Encoder` is a ``torch.nn.Module`` mapping ``(B, 2, rows, cols)``
planes (int8 or float, plane 0 = the mover's stones) to ``(B, output_dim)``
features. Its learnable or frozen state lives in ``state_dict``; its
constructor arguments are returned by ``config()`` as plain values, so a
checkpoint rebuilds it by name with :func:`make_encoder` and then loads the
state. Later modules register more encoders (autoencoder latents,
bag-of-visual-words histograms) with :func:`register_encoder`.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from boardgym.envs.rules import Game, get_game


class Encoder(nn.Module):
    """Base class: ``forward(planes) -> (B, output_dim)`` features."""

    name = "encoder"
    output_dim: int

    def config(self) -> dict:
        """Constructor keyword arguments (plain values) that rebuild this encoder."""
        raise NotImplementedError


class PlanesEncoder(Encoder):
    """The default: a small stack of 3x3 convolutions over the raw planes, kept
    at full board resolution (boards are tiny), flattened."""

    name = "planes"

    def __init__(self, game: Game | str, channels: int = 64, layers: int = 3):
        super().__init__()
        if channels < 1:
            raise ValueError(f"channels must be at least 1, got {channels}")
        if layers < 1:
            raise ValueError(f"layers must be at least 1, got {layers}")
        self.game = get_game(game)
        self.channels, self.layers = int(channels), int(layers)
        blocks: list[nn.Module] = []
        in_channels = 2
        for _ in range(self.layers):
            blocks += [nn.Conv2d(in_channels, self.channels, 3, padding=1), nn.ReLU()]
            in_channels = self.channels
        self.body = nn.Sequential(*blocks, nn.Flatten())
        self.output_dim = self.channels * self.game.n_cells

    def config(self) -> dict:
        return {"channels": self.channels, "layers": self.layers}

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        return self.body(planes.float())


EncoderFactory = Callable[..., Encoder]

#: name -> factory(game, **config) returning an Encoder, or "module:attribute"
#: naming one, imported on first use (the pipelines encoders pull in scikit-learn).
ENCODERS: dict[str, EncoderFactory | str] = {
    "planes": PlanesEncoder,
    "autoencoder": "boardgym.agents.pipeline_encoders:AutoencoderEncoder",
    "bovw": "boardgym.agents.pipeline_encoders:BovwEncoder",
}


def register_encoder(name: str, factory: EncoderFactory | str) -> None:
    """Make ``make_encoder(name, game, **config)`` build encoders with ``factory``
    (a callable or a "module:attribute" string)."""
    ENCODERS[name] = factory


def make_encoder(name: str, game: Game | str, **config) -> Encoder:
    """Build a registered encoder; unknown names raise a ValueError listing the known ones."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; known encoders: {sorted(ENCODERS)}")
    factory = ENCODERS[name]
    if isinstance(factory, str):
        import importlib

        module, _, attribute = factory.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
    return factory(get_game(game), **config)


def build_encoder(game: Game, name: str, channels: int, conv_layers: int, seed: int = 0) -> Encoder:
    """The configured encoder; only ``planes`` takes the convolution sizes, the
    fitted encoders (autoencoder, bovw) take the run's seed."""
    if name == "planes":
        return make_encoder(name, game, channels=channels, layers=conv_layers)
    return make_encoder(name, game, seed=seed)
