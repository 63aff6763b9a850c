"""Self-play: what the trainer hands the learner (own move to own next move, the
opponent's reply folded in, the final reward from the learner's view), the
opponent pool, callbacks and the TensorBoard keys."""

import numpy as np
import pytest
import torch

from boardgym.agents.dqn import DQNConfig, DQNLearner
from boardgym.agents.selfplay import OpponentPool, SelfPlayConfig, SelfPlayTrainer, parse_weights
from boardgym.envs import rules
from boardgym.envs.rules import CONNECT_FOUR, TICTACTOE

torch.set_num_threads(1)


def _learner(game, **changes):
    config = dict(channels=4, conv_layers=1, hidden=8, learning_starts=10**9)
    config.update(changes)
    return DQNLearner(game, DQNConfig(**config), seed=0)


def _recording_trainer(game, opponents, num_envs=32):
    learner = _learner(game)
    episodes = []
    learner.add_episodes = episodes.append
    pool = OpponentPool(learner, opponents, seed=0)
    config = SelfPlayConfig(num_envs=num_envs, eval_interval=0, eval_opponents=("random",), log_interval=100)
    return SelfPlayTrainer(learner, pool, config, seed=0), episodes


def _own_stone(game, planes, action):
    """Planes (mover's view) after the mover plays ``action``."""
    after = planes.copy()
    row = game.rows - 1 - int((planes[0] | planes[1])[:, action].sum())
    after[0, row, action] = 1
    return after


def test_transitions_fold_the_opponents_reply_and_rewards_are_from_the_learners_view():
    trainer, batches = _recording_trainer(CONNECT_FOUR, "greedy=1")
    trainer.run(3000)
    assert batches
    finished_games = 0
    for episodes in batches:
        for index in np.unique(episodes.episode):
            rows = np.flatnonzero(episodes.episode == index)
            planes, actions = episodes.planes[rows], episodes.actions[rows]
            reward = episodes.final_reward[rows[0]]
            assert episodes.move[rows].tolist() == list(range(len(rows)))
            assert (episodes.length[rows] == len(rows)).all()
            for t in range(len(rows) - 1):
                after_own = _own_stone(CONNECT_FOUR, planes[t], actions[t])
                # Next decision: own stones = before + own move; exactly one opponent stone more.
                assert np.array_equal(planes[t + 1, 0], after_own[0])
                assert planes[t + 1, 1].sum() == planes[t, 1].sum() + 1
                assert np.all(planes[t + 1, 1] >= planes[t, 1])
                assert episodes.masks[rows[t], actions[t]] == 1
            last = _own_stone(CONNECT_FOUR, planes[-1], actions[-1])
            won = bool(rules.has_line(CONNECT_FOUR, last[None, 0])[0])
            assert won == (reward == 1.0)
            if reward == -1.0:
                # The opponent's stones plus one more would complete a line: it won on its reply.
                opponent_wins = rules.winning_moves(CONNECT_FOUR, last[None, ::-1],
                                                    (rules.column_heights(CONNECT_FOUR, last[None]) < 6).astype(np.int8))
                assert opponent_wins.any()
            finished_games += 1
    assert finished_games >= 100
    decisions = sum(len(e) for e in batches)
    in_flight = trainer._trajectories.count.sum()
    assert trainer.step == decisions + in_flight


def test_against_itself_the_learner_plays_and_learns_both_seats():
    trainer, batches = _recording_trainer(TICTACTOE, "self=1")
    trainer.run(1000)
    episodes = batches[0]
    # Episodes come in pairs from the same game: seat 0 and seat 1 of each board.
    first_planes = episodes.planes[episodes.move == 0]
    starts = first_planes.reshape(len(first_planes), -1).sum(axis=1)
    assert sorted(set(starts.tolist())) == [0, 1]  # the first mover sees an empty board, the second one stone
    rewards = [episodes.final_reward[episodes.episode == i][0] for i in np.unique(episodes.episode)]
    assert sum(rewards) == 0.0  # zero-sum: a win in one seat is a loss in the other
    assert trainer._window["games"] == 0  # games against itself do not count as training wins


def test_learner_takes_both_seats_against_scripted_opponents():
    trainer, batches = _recording_trainer(TICTACTOE, "random=1", num_envs=64)
    trainer.run(400)
    first = np.concatenate([e.planes[e.move == 0] for e in batches])
    stones = first.reshape(len(first), -1).sum(axis=1)
    assert (stones == 0).any() and (stones == 1).any()
    assert stones.max() == 1


def test_pool_caps_snapshots_dropping_the_oldest_and_shares_their_weight():
    learner = _learner(TICTACTOE)
    pool = OpponentPool(learner, "self=0.5,snapshots=0.3,random=0.2", max_snapshots=2, seed=0)
    # With no snapshot yet their weight is spread over the others.
    assert pool.names == ["self", "random"]
    assert pool.probabilities().tolist() == pytest.approx([0.5 / 0.7, 0.2 / 0.7])
    for step in (10, 20, 30):
        pool.add_snapshot(f"self@{step}")
    assert pool.names == ["self", "random", "self@20", "self@30"]
    assert pool.probabilities().tolist() == pytest.approx([0.5, 0.2, 0.15, 0.15])
    counts = np.bincount(pool.sample(10000, np.random.default_rng(0)), minlength=4) / 10000
    assert counts == pytest.approx([0.5, 0.2, 0.15, 0.15], abs=0.02)


def test_snapshots_are_frozen_copies():
    learner = _learner(TICTACTOE)
    pool = OpponentPool(learner, "self=1,snapshots=1", seed=0)
    pool.add_snapshot("self@0")
    frozen = pool.policies[-1]
    with torch.no_grad():
        for parameter in learner.network.parameters():
            parameter.add_(1.0)
    for mine, theirs in zip(learner.network.parameters(), frozen.network.parameters()):
        assert not torch.equal(mine, theirs)


@pytest.mark.parametrize("text,message", [("self", "bad entry 'self'"), ("greedy=-1", "bad entry"),
                                          ("self=0", "positive sum"), ("greedy=x", "bad entry")])
def test_bad_pool_weights_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_weights(text)


def test_unknown_opponent_name_is_refused():
    with pytest.raises(ValueError, match="unknown opponent 'grandmaster'.*the pool takes 'self' and 'snapshots'"):
        OpponentPool(_learner(TICTACTOE), "self=1,grandmaster=1")


def test_callbacks_see_steps_and_evaluations_and_can_stop_the_run():
    learner = _learner(TICTACTOE)
    pool = OpponentPool(learner, "self=1,random=1", seed=0)
    config = SelfPlayConfig(num_envs=16, eval_interval=200, eval_games=20, eval_opponents=("random", "greedy"),
                            log_interval=50, eval_at_end=False)
    trainer = SelfPlayTrainer(learner, pool, config, seed=0)
    seen = []

    def stop_after_first_evaluation(step, metrics):
        seen.append((step, dict(metrics)))
        return "eval/random/win" not in metrics

    trainer.run(10_000, callbacks=[stop_after_first_evaluation])
    steps = [step for step, _ in seen]
    assert steps == sorted(steps) and 200 <= steps[-1] < 200 + 16
    assert trainer.step == steps[-1]
    assert {"eval/greedy/win", "eval/greedy/draw", "eval/greedy/loss", "selfplay/elo/learner",
            "selfplay/elo/random", "selfplay/elo/greedy"} <= set(seen[-1][1])
    assert seen[-1][1]["selfplay/elo/random"] == 0.0
    assert any("charts/steps_per_second" in metrics for _, metrics in seen)


def test_the_default_ladder_on_gomoku_leaves_out_alphabeta():
    from boardgym.envs.rules import GOMOKU

    learner = _learner(GOMOKU)
    trainer = SelfPlayTrainer(learner, OpponentPool(learner, "self=1", seed=0), SelfPlayConfig(), seed=0)
    assert trainer.config.eval_opponents == ("random", "greedy")
    chosen = SelfPlayConfig(eval_opponents=("random", "alphabeta:1"))
    assert chosen.for_game(GOMOKU) is chosen and SelfPlayConfig().for_game(CONNECT_FOUR) == SelfPlayConfig()


class _FirstLegal:
    def act(self, observation, action_mask, *, greedy=True):
        return np.argmax(np.asarray(action_mask) > 0, axis=1)


@pytest.mark.parametrize("plies", [0, 2])
def test_ladder_evaluation_starts_game_pairs_from_random_openings(plies, monkeypatch):
    """The greedy learner against a deterministic rung replays one game per seat
    from the empty board; with openings, game pairs start in different places."""
    from boardgym.agents.scripted import SCRIPTED

    monkeypatch.setitem(SCRIPTED, "first_legal", lambda game, seed=None, arg=None: _FirstLegal())
    learner = _learner(TICTACTOE)
    config = SelfPlayConfig(num_envs=4, eval_games=40, eval_opponents=("random", "first_legal"),
                            eval_opening_plies=plies)
    trainer = SelfPlayTrainer(learner, OpponentPool(learner, "self=1", seed=0), config, seed=0)
    trainer.evaluate()
    games = trainer.last_report["first_legal"].games
    assert len(games.winners) == 40
    assert np.all(games.lengths >= 1)
    if plies == 0:
        # Two deterministic players: one game with each seat order, 20 times over.
        assert len(set(games.lengths[0::2].tolist())) == 1 and len(set(games.lengths[1::2].tolist())) == 1
    else:
        # Games start after the opening: `lengths` counts the moves played from there.
        assert len(set(zip(games.lengths.tolist(), games.winners.tolist()))) > 2


def test_tensorboard_keys(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from boardgym.agents.tensorboard import RunLogger

    learner = _learner(TICTACTOE, learning_starts=32, batch_size=16, train_frequency=4)
    pool = OpponentPool(learner, "self=1,greedy=1", seed=0)
    config = SelfPlayConfig(num_envs=16, eval_interval=300, eval_games=10, eval_opponents=("random", "alphabeta:2"),
                            log_interval=100)
    logger = RunLogger(tmp_path)
    trainer = SelfPlayTrainer(learner, pool, config, seed=0, logger=logger)
    trainer.run(300)
    logger.close()
    accumulator = EventAccumulator(str(tmp_path))
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    assert {"charts/episode_length", "charts/win_rate", "charts/draw_rate", "charts/loss_rate", "charts/epsilon",
            "charts/steps_per_second", "losses/td_loss", "losses/q_values", "eval/random/win",
            "eval/alphabeta_2/loss", "selfplay/elo/learner", "selfplay/elo/alphabeta_2"} <= tags
    assert all(tag.split("/")[0] in {"charts", "losses", "eval", "selfplay"} for tag in tags)


def test_train_command_writes_a_fresh_run_and_says_where(tmp_path, capsys):
    from boardgym.agents.cli import main

    argv = ["train", "--game", "tictactoe", "--steps", "300", "--logdir", str(tmp_path), "--quiet",
            "--selfplay.num-envs", "16", "--selfplay.eval-interval", "0", "--dqn.channels", "8",
            "--dqn.conv-layers", "1", "--dqn.hidden", "16", "--dqn.learning-starts", "50"]
    assert main(argv) == 0
    assert main(argv) == 0
    out = capsys.readouterr().out
    first, second = tmp_path / "tictactoe_dqn_s0_1", tmp_path / "tictactoe_dqn_s0_2"
    assert f"run directory: {first}" in out and f"run directory: {second}" in out
    assert f"tensorboard --logdir {tmp_path}" in out
    assert (first / "latest.pt").is_file() and (second / "latest.pt").is_file()


def test_demo_command_trains_then_evaluates_both_seats(tmp_path, capsys):
    from boardgym.agents.training import DemoConfig, run_demo

    report = run_demo(DemoConfig(train_seconds=2, eval_games=20, logdir=str(tmp_path), quiet=True))
    out = capsys.readouterr().out
    assert set(report.matches) == {"random", "greedy"}
    assert report["random"].record("first").games == 10 and report["random"].record("second").games == 10
    assert "wins vs random:" in out and "wins vs greedy:" in out


def test_bad_train_values_name_the_field():
    from boardgym.agents.training import TrainConfig

    with pytest.raises(ValueError, match="TrainConfig.steps"):
        TrainConfig(steps=-1)
    with pytest.raises(ValueError, match="SelfPlayConfig.eval_games"):
        SelfPlayConfig(eval_games=3)
    with pytest.raises(ValueError, match="include 'random'"):
        SelfPlayConfig(eval_opponents=("greedy",))
