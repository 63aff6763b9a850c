"""The learners' networks: an encoder front with small heads on top."""

from __future__ import annotations

import torch
from torch import nn

from boardgym.agents.encoders import Encoder


def _mlp_head(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))


class QNetwork(nn.Module):
    """Q-values ``(B, n_actions)`` for every action, legal or not (masking is the
    learner's job, so the same network serves any position)."""

    def __init__(self, encoder: Encoder, n_actions: int, hidden: int = 256):
        super().__init__()
        self.encoder = encoder
        self.head = _mlp_head(encoder.output_dim, hidden, n_actions)

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(planes))


class PolicyValueNetwork(nn.Module):
    """Unmasked action logits ``(B, n_actions)`` and a state value ``(B,)`` from a
    shared encoder."""

    def __init__(self, encoder: Encoder, n_actions: int, hidden: int = 256):
        super().__init__()
        self.encoder = encoder
        self.policy_head = _mlp_head(encoder.output_dim, hidden, n_actions)
        self.value_head = _mlp_head(encoder.output_dim, hidden, 1)

    def forward(self, planes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(planes)
        return self.policy_head(features), self.value_head(features).squeeze(-1)

    def logits(self, planes: torch.Tensor) -> torch.Tensor:
        """The action logits alone (acting needs no value: skips the value head)."""
        return self.policy_head(self.encoder(planes))
