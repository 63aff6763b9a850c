"""End to end: DQN and REINFORCE learn Tic-Tac-Toe by self-play in well under a
minute of training, then never lose to random play and draw a perfect player."""

import numpy as np
import pytest
import torch

from boardgym.agents.dqn import DQNConfig
from boardgym.agents.evaluation import evaluate
from boardgym.agents.reinforce import ReinforceConfig
from boardgym.agents.selfplay import SelfPlayConfig
from boardgym.agents.training import TrainConfig, run_training
from tictactoe_minimax import PerfectPlayer, minimax_value

def test_the_perfect_player_is_perfect():
    assert minimax_value(frozenset(), frozenset()) == 0
    report = evaluate(PerfectPlayer(0), ["random"], "tictactoe", n_games=200, seed=0)
    assert report["random"].record().losses == 0


#: Training length: about 35 s (DQN) and 40 s (REINFORCE) of one CPU core here.
STEPS = {"dqn": 100_000, "reinforce": 300_000}


def _train(tmp_path, algo, opponents="self=0.3,snapshots=0.1,random=0.3,alphabeta:9=0.3", **learner):
    torch.set_num_threads(1)
    selfplay = SelfPlayConfig(num_envs=128, opponents=opponents,
                              snapshot_interval=10_000, eval_interval=0, log_interval=5_000)
    config = TrainConfig(game="tictactoe", algo=algo, steps=STEPS[algo], seed=0, logdir=str(tmp_path), quiet=True,
                         threads=1, selfplay=selfplay,
                         dqn=DQNConfig(**learner) if algo == "dqn" else DQNConfig(),
                         reinforce=ReinforceConfig(**learner) if algo == "reinforce" else ReinforceConfig())
    trainer = run_training(config)
    policy = trainer.learner.frozen_policy(seed=0)
    return evaluate(policy, {"random": "random", "minimax": PerfectPlayer(1)}, "tictactoe", n_games=500, seed=7)



@pytest.mark.slow
def test_dqn_learns_tictactoe(tmp_path):
    report = _train(tmp_path, "dqn", channels=16, conv_layers=1, hidden=128, exploration_steps=50_000,
                    learning_starts=2_000, train_frequency=8, batch_size=256, target_update_interval=200,
                    buffer_size=100_000)
    print(report.table())
    assert report["random"].record().losses == 0
    assert report["minimax"].record().rate("draw") >= 0.95


@pytest.mark.slow
def test_reinforce_learns_tictactoe(tmp_path):
    # A policy gradient only learns to avoid the losses it experiences: the perfect
    # alphabeta:9 and greedy opponents punish every mistake, and a strong entropy
    # bonus keeps the policy from turning deterministic before it has seen them.
    report = _train(tmp_path, "reinforce", opponents="self=0.2,random=0.2,greedy=0.2,alphabeta:9=0.4",
                    channels=32, conv_layers=2, hidden=128, batch_moves=1024, learning_rate=2e-3, gamma=1.0,
                    entropy_coef=0.15, normalize_advantage=True)
    print(report.table())
    assert report["random"].record().losses == 0
    assert report["minimax"].record().rate("draw") >= 0.90
