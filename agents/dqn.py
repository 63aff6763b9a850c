"""Double DQN for two-player board games, with legal-move masking throughout.

* Transitions run from the agent's own decision to its next one, with the
  opponent's reply folded in; the reward is the final result from the agent's
  view, given on the last transition, after which nothing is bootstrapped.
* The replay buffer stores the next state's legal mask. The target picks the
  next action by the online network's argmax over legal moves (illegal entries
  filled with -inf, never multiplied by the mask) and values it with the target
  network (double DQN).
* Exploration is epsilon-greedy among legal moves only; greedy play is the
  argmax over legal Q-values.
* Huber loss, gradient clipping, a hard-copied target network.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from boardgym.agents.encoders import Encoder, build_encoder
from boardgym.agents.learner import Episodes, NetworkPolicy, mirrored_copies, to_tensor
from boardgym.agents.networks import QNetwork
from boardgym.agents.replay import ReplayBuffer
from boardgym.envs.rules import Game, get_game


@dataclass
class DQNConfig:
    """Hyperparameters of the DQN learner."""

    learning_rate: float = 5e-4
    """Adam learning rate."""
    gamma: float = 0.9
    """Discount per own move. A win now (1) must stand clear of a win later (at most gamma) in the network's noisy Q-values: at 0.99 the demo agent missed immediate wins and lost about 0.5% of its games to random; at 0.9 about 0.1%, and it beats greedy more often too."""
    buffer_size: int = 200_000
    """Replay buffer capacity in transitions (symmetric copies included)."""
    batch_size: int = 256
    """Transitions per gradient step."""
    learning_starts: int = 5_000
    """Transitions in the buffer before the first gradient step."""
    train_frequency: int = 96
    """Environment steps per gradient step (lower = more replay per new move)."""
    target_update_interval: int = 250
    """Gradient steps between copies of the online network into the target network."""
    epsilon_start: float = 1.0
    """Exploration rate at step 0."""
    epsilon_end: float = 0.05
    """Exploration rate after `exploration_steps`."""
    exploration_steps: int = 250_000
    """Environment steps over which epsilon decays linearly."""
    max_grad_norm: float = 10.0
    """Gradient norm clip."""
    augment: bool = True
    """Also store every transition under each board symmetry (mirror for Connect Four)."""
    snapshot_epsilon: float = 0.05
    """Exploration rate of frozen past selves when they play as opponents in training."""
    encoder: str = "planes"
    """Network front (see boardgym.agents.encoders)."""
    channels: int = 32
    """Convolution channels of the `planes` encoder."""
    conv_layers: int = 2
    """Convolution layers of the `planes` encoder."""
    hidden: int = 256
    """Width of the hidden layer of the Q head."""

    def __post_init__(self) -> None:
        positive = ("learning_rate", "buffer_size", "batch_size", "train_frequency",
                    "target_update_interval", "exploration_steps", "max_grad_norm", "channels",
                    "conv_layers", "hidden")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"DQNConfig.{name} must be positive, got {getattr(self, name)!r}")
        for name in ("gamma", "epsilon_start", "epsilon_end", "snapshot_epsilon"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"DQNConfig.{name} must be in [0, 1], got {getattr(self, name)!r}")
        if self.learning_starts < 0:
            raise ValueError(f"DQNConfig.learning_starts must be >= 0, got {self.learning_starts}")


def double_dqn_targets(online_next_q: torch.Tensor, target_next_q: torch.Tensor, next_masks: torch.Tensor,
                       rewards: torch.Tensor, dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """``r + gamma * Q_target(s', argmax_{legal a'} Q_online(s', a'))``, and just
    ``r`` where the game ended. Illegal next actions are excluded by filling
    them with -inf before the argmax, so no masked product can leak them in."""
    legal = next_masks.bool()
    best_next = online_next_q.masked_fill(~legal, float("-inf")).argmax(dim=1, keepdim=True)
    next_value = target_next_q.gather(1, best_next).squeeze(1)
    next_value = torch.where(dones.bool(), torch.zeros_like(next_value), next_value)
    return rewards + gamma * next_value


class DQNLearner:
    """Online and target Q-networks, replay buffer, optimizer and epsilon schedule."""

    algo = "dqn"

    def __init__(self, game: Game | str, config: DQNConfig | None = None, *,
                 encoder: Encoder | None = None, seed: int = 0):
        self.game = get_game(game)
        self.config = config or DQNConfig()
        cfg = self.config
        self.encoder = encoder or build_encoder(self.game, cfg.encoder, cfg.channels, cfg.conv_layers, seed)
        self.network = QNetwork(self.encoder, self.game.n_actions, cfg.hidden)
        self.target_network = copy.deepcopy(self.network).requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=cfg.learning_rate)
        self.buffer = ReplayBuffer(cfg.buffer_size, (2, self.game.rows, self.game.cols), self.game.n_actions)
        self.rng = np.random.default_rng(seed)
        self.policy = NetworkPolicy(self.network, self.game, explore="epsilon",
                                    epsilon=cfg.epsilon_start, seed=seed + 1)
        self.gradient_steps = 0
        self._pending_updates = 0.0

    # -- acting -----------------------------------------------------------------
    def epsilon_at(self, step: int) -> float:
        cfg = self.config
        fraction = min(1.0, step / cfg.exploration_steps)
        return cfg.epsilon_start + fraction * (cfg.epsilon_end - cfg.epsilon_start)

    def on_step(self, step: int) -> dict[str, float]:
        """Follow the schedules to ``step``; returns the values worth logging."""
        self.policy.epsilon = self.epsilon_at(step)
        return {"charts/epsilon": self.policy.epsilon}

    def frozen_policy(self, network_state: dict | None = None, seed: int | None = None) -> NetworkPolicy:
        """A policy over a frozen copy of the network (current weights, or ``network_state``)."""
        network = copy.deepcopy(self.network).requires_grad_(False)
        if network_state is not None:
            network.load_state_dict(network_state)
        return NetworkPolicy(network, self.game, explore="epsilon",
                             epsilon=self.config.snapshot_epsilon, seed=seed)

    # -- learning ---------------------------------------------------------------
    def add_episodes(self, episodes: Episodes) -> None:
        """Cut finished episodes into transitions (own move to own next move) and store them."""
        if len(episodes) == 0:
            return
        last = episodes.is_last
        successor = np.minimum(np.arange(len(episodes)) + 1, len(episodes) - 1)
        next_planes = np.where(last[:, None, None, None], 0, episodes.planes[successor]).astype(np.int8)
        next_masks = np.where(last[:, None], 0, episodes.masks[successor]).astype(np.int8)
        rewards = np.where(last, episodes.final_reward, 0.0).astype(np.float32)
        copies = [(episodes.planes, episodes.masks, episodes.actions, next_planes, next_masks)]
        if self.config.augment:
            states = mirrored_copies(self.game, episodes.planes, episodes.masks, episodes.actions)
            following = mirrored_copies(self.game, next_planes, next_masks, episodes.actions)
            copies = [(p, m, a, next_p, next_m) for (p, m, a), (next_p, next_m, _) in zip(states, following)]
        for planes, masks, actions, next_p, next_m in copies:
            self.buffer.add(planes, actions, rewards, next_p, next_m, last)

    def update(self, new_steps: int) -> dict[str, float]:
        """Gradient steps owed for ``new_steps`` environment steps; returns mean losses."""
        if len(self.buffer) < max(self.config.learning_starts, 1):
            return {}
        self._pending_updates += new_steps / self.config.train_frequency
        count = int(self._pending_updates)
        self._pending_updates -= count
        losses, q_means = [], []
        for _ in range(count):
            loss, q_mean = self.gradient_step()
            losses.append(loss)
            q_means.append(q_mean)
        if not losses:
            return {}
        return {"losses/td_loss": float(np.mean(losses)), "losses/q_values": float(np.mean(q_means))}

    def gradient_step(self) -> tuple[float, float]:
        cfg = self.config
        batch = self.buffer.sample(cfg.batch_size, self.rng)
        planes, next_planes = to_tensor(batch["planes"]), to_tensor(batch["next_planes"])
        actions = torch.as_tensor(batch["actions"])
        q_taken = self.network(planes).gather(1, actions[:, None]).squeeze(1)
        with torch.no_grad():
            targets = double_dqn_targets(
                self.network(next_planes), self.target_network(next_planes),
                torch.as_tensor(batch["next_masks"]), torch.as_tensor(batch["rewards"]),
                torch.as_tensor(batch["dones"]), cfg.gamma)
        loss = F.smooth_l1_loss(q_taken, targets)
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.network.parameters(), cfg.max_grad_norm)
        self.optimizer.step()
        self.gradient_steps += 1
        if self.gradient_steps % cfg.target_update_interval == 0:
            self.target_network.load_state_dict(self.network.state_dict())
        return float(loss.detach()), float(q_taken.detach().mean())

    # -- persistence ------------------------------------------------------------
    def state_dict(self) -> dict:
        """Model, optimizer and counters (the replay buffer is not saved: it refills)."""
        return {
            "model": {"network": self.network.state_dict(), "target": self.target_network.state_dict()},
            "optimizer": self.optimizer.state_dict(),
            "counters": {"gradient_steps": self.gradient_steps, "pending_updates": self._pending_updates},
            "rng": {"learner": self.rng.bit_generator.state, "policy": self.policy.rng.bit_generator.state},
        }

    def load_state_dict(self, state: dict) -> None:
        self.network.load_state_dict(state["model"]["network"])
        self.target_network.load_state_dict(state["model"]["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.gradient_steps = int(state["counters"]["gradient_steps"])
        self._pending_updates = float(state["counters"]["pending_updates"])
        self.rng.bit_generator.state = state["rng"]["learner"]
        self.policy.rng.bit_generator.state = state["rng"]["policy"]

    def network_state(self) -> dict:
        """The acting network's weights (what a snapshot or a loaded policy needs)."""
        return self.network.state_dict()
