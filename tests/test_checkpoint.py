"""Checkpoints: round trips, resuming a run (TensorBoard steps continue), and
every way a file can be refused - without executing anything in it."""

import dataclasses
import pickle

import numpy as np
import pytest
import torch

from boardgym.agents.checkpoint import (VERSION, CheckpointError, load_checkpoint, load_policy, save_checkpoint)
from boardgym.agents.dqn import DQNConfig
from boardgym.agents.reinforce import ReinforceConfig
from boardgym.agents.selfplay import SelfPlayConfig
from boardgym.agents.training import TrainConfig, build_trainer, run_training
from boardgym.envs import rules
from boardgym.envs.rules import TICTACTOE

torch.set_num_threads(1)


def _config(tmp_path, algo="dqn", steps=600, game="tictactoe", **changes) -> TrainConfig:
    return TrainConfig(
        game=game, algo=algo, steps=steps, seed=3, logdir=str(tmp_path / "runs"), quiet=True, threads=1,
        selfplay=SelfPlayConfig(num_envs=16, opponents="self=0.5,snapshots=0.2,random=0.3", snapshot_interval=150,
                                max_snapshots=2, eval_interval=300, eval_games=20, eval_opponents=("random", "greedy"),
                                log_interval=50),
        dqn=DQNConfig(channels=8, conv_layers=1, hidden=16, learning_starts=64, batch_size=32, train_frequency=8),
        reinforce=ReinforceConfig(channels=8, conv_layers=1, hidden=16, batch_moves=64),
        **changes)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("run")
    trainer = run_training(_config(tmp_path))
    return tmp_path, trainer


def _random_positions(count=64, seed=0):
    rng = np.random.default_rng(seed)
    state = rules.initial(TICTACTOE, count)
    for _ in range(rng.integers(0, 5)):
        mask = rules.legal_mask(TICTACTOE, state)
        rules.step_unchecked(TICTACTOE, state, np.array([rng.choice(np.flatnonzero(m)) for m in mask]))
    return rules.observe(TICTACTOE, state), rules.legal_mask(TICTACTOE, state)


@pytest.mark.parametrize("algo", ["dqn", "reinforce"])
def test_save_then_load_gives_identical_actions(tmp_path, algo):
    trainer = run_training(_config(tmp_path, algo=algo, steps=300))
    planes, masks = _random_positions()
    expected = trainer.learner.policy.act(planes, masks, greedy=True)
    loaded = load_policy(trainer.run_dir / "latest.pt", game="tictactoe", seed=0)
    assert np.array_equal(loaded.act(planes, masks, greedy=True), expected)
    # A loaded policy is greedy whatever it is asked.
    assert np.array_equal(loaded.act(planes, masks, greedy=False), expected)


@pytest.mark.parametrize("algo", ["dqn", "reinforce"])
def test_the_same_seed_gives_the_same_training_run(tmp_path, algo):
    """Two runs with one seed end with equal weights and equal evaluations (same
    games); another seed gives other weights."""
    def train(seed, name):
        trainer = run_training(dataclasses.replace(_config(tmp_path / name, algo=algo, steps=400), seed=seed))
        return trainer.learner.network_state(), trainer.last_report.table(), trainer.elo.state_dict()

    first, again, other = train(5, "a"), train(5, "b"), train(6, "c")
    assert first[0].keys() == again[0].keys()
    assert all(torch.equal(first[0][key], again[0][key]) for key in first[0])
    assert first[1] == again[1] and first[2] == again[2]
    assert not all(torch.equal(first[0][key], other[0][key]) for key in first[0])


def test_a_new_run_never_reuses_a_run_directory(tmp_path):
    first = build_trainer(_config(tmp_path))
    second = build_trainer(_config(tmp_path))
    for trainer in (first, second):
        trainer.logger.close()
    assert first.run_dir.name == "tictactoe_dqn_s3_1"
    assert second.run_dir.name == "tictactoe_dqn_s3_2"


def _scalar_steps(run_dir, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir))
    accumulator.Reload()
    return [event.step for event in accumulator.Scalars(tag)], accumulator


def test_resume_continues_steps_pool_elo_and_tensorboard_curves(trained_run):
    tmp_path, first = trained_run
    checkpoint = load_checkpoint(first.run_dir / "latest.pt")
    saved_step = checkpoint["step"]
    assert saved_step == first.step >= 600
    resumed = run_training(dataclasses.replace(_config(tmp_path, steps=1200, game=None, algo=None),
                                               resume=str(first.run_dir)))
    assert resumed.run_dir == first.run_dir
    assert resumed.step >= 1200
    rated_steps = sorted(int(name[5:]) for name in resumed.elo.players if name.startswith("step_"))
    # Evaluations every 300 steps (at the first move batch past each multiple),
    # plus one at the end of each run: the first run's ratings are still there.
    assert rated_steps[0] < 300 + 16 and saved_step in rated_steps and rated_steps[-1] == resumed.step
    assert len(rated_steps) == 4  # about 300, 600 (end of run 1), 900, 1200 (end of run 2)
    steps, accumulator = _scalar_steps(first.run_dir, "charts/steps_per_second")
    assert steps == sorted(steps)
    assert steps[0] < saved_step < steps[-1]
    assert len([s for s in steps if s > saved_step]) >= 5
    elo_steps, _ = _scalar_steps(first.run_dir, "selfplay/elo/learner")
    assert elo_steps == rated_steps
    assert "hyperparameters/text_summary" in accumulator.Tags()["tensors"]
    assert len(accumulator.Tensors("hyperparameters/text_summary")) == 1


def test_resume_keeps_the_pool_snapshots(trained_run):
    tmp_path, first = trained_run
    checkpoint = load_checkpoint(first.run_dir / "latest.pt")
    names = [name for name, _ in checkpoint["pool"]["snapshots"]]
    assert len(names) == 2 and all(name.startswith("self@") for name in names)
    config = dataclasses.replace(_config(tmp_path, game=None, algo=None), resume=str(first.run_dir / "latest.pt"))
    resumed = build_trainer(config)
    resumed.logger.close()
    assert [name for name, _, _ in resumed.pool.snapshots] == names
    assert resumed.step == checkpoint["step"]
    assert resumed.elo.state_dict() == checkpoint["elo"]


def test_resume_with_another_game_is_refused(trained_run):
    tmp_path, first = trained_run
    config = dataclasses.replace(_config(tmp_path, game="connect_four"), resume=str(first.run_dir))
    with pytest.raises(ValueError, match="--game connect_four does not match the checkpoint's game 'tictactoe'"):
        build_trainer(config)


def test_a_run_directory_is_not_a_checkpoint_file(trained_run):
    _, first = trained_run
    with pytest.raises(FileNotFoundError, match="is a directory; give a checkpoint file in it, such as .*latest.pt"):
        load_policy(first.run_dir)


def test_load_for_another_game_is_refused(trained_run):
    _, first = trained_run
    with pytest.raises(CheckpointError, match="is a tictactoe checkpoint, not connect_four"):
        load_policy(first.run_dir / "latest.pt", game="connect_four")


class _WritesAFile:
    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_a_malicious_pickle_is_refused_and_nothing_runs(tmp_path, writer):
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pt"
    payload = {"format": "boardgym-checkpoint", "version": 1, "payload": _WritesAFile(marker)}
    if writer == "torch":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    # Sanity: unpickling it the unsafe way really would write the file.
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="refused") as refused:
        load_checkpoint(path)
    assert "Unsupported" in str(refused.value)  # the unpickler's reason, not torch's advice to load it unsafely
    assert "weights_only" not in str(refused.value)
    with pytest.raises(CheckpointError, match="refused"):
        load_policy(path)
    assert not marker.exists()


@pytest.mark.parametrize("content,message", [
    (b"", "is empty, not a checkpoint"),
    (b"not a checkpoint", r"is not a checkpoint file \(neither a torch.save archive nor a pickle\)"),
])
def test_empty_junk_and_cut_files_get_their_own_message(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_the_malicious_pickle_does_write_a_file_when_loaded_unsafely(tmp_path):
    marker = tmp_path / "pwned.txt"
    pickle.loads(pickle.dumps(_WritesAFile(marker))).close()
    assert marker.exists()


def test_truncated_file_is_refused(trained_run, tmp_path):
    _, first = trained_run
    data = (first.run_dir / "latest.pt").read_bytes()
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(path)


@pytest.mark.parametrize("payload,message", [
    ({"weights": torch.zeros(2)}, "not a boardgym checkpoint \\(format None"),
    ({"format": "other-format", "version": 1}, "format 'other-format'"),
    ([1, 2, 3], "format 'list'"),
])
def test_foreign_files_are_refused(tmp_path, payload, message):
    path = tmp_path / "foreign.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_newer_version_and_missing_keys_are_refused(trained_run, tmp_path):
    _, first = trained_run
    checkpoint = load_checkpoint(first.run_dir / "latest.pt")
    save_checkpoint(tmp_path / "newer.pt", {**checkpoint, "version": VERSION + 1})
    with pytest.raises(CheckpointError, match=f"newer boardgym \\(checkpoint version {VERSION + 1}"):
        load_checkpoint(tmp_path / "newer.pt")
    save_checkpoint(tmp_path / "partial.pt", {k: v for k, v in checkpoint.items() if k != "model"})
    with pytest.raises(CheckpointError, match="missing required keys \\['model'\\]"):
        load_checkpoint(tmp_path / "partial.pt")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint file at"):
        load_checkpoint(tmp_path / "nothing.pt")


def test_a_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "latest.pt"
    save_checkpoint(path, {"format": "boardgym-checkpoint", "value": 1})
    before = path.read_bytes()
    with pytest.raises(Exception):
        save_checkpoint(path, {"format": "boardgym-checkpoint", "value": lambda: None})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt"]


def test_checkpoint_policy_is_an_env_opponent(trained_run):
    import gymnasium as gym

    import boardgym.envs  # noqa: F401  (registers the environments)

    _, first = trained_run
    if "boardgym/TicTacToe-v0" not in gym.registry:
        pytest.fail("boardgym/TicTacToe-v0 is not registered")
    env = gym.make("boardgym/TicTacToe-v0", opponent=str(first.run_dir / "latest.pt"))
    observation, info = env.reset(seed=0)
    terminated = truncated = False
    while not (terminated or truncated):
        legal = np.flatnonzero(observation["action_mask"])
        observation, reward, terminated, truncated, info = env.step(int(legal[0]))
    assert reward in (-1.0, 0.0, 1.0)


def test_gomoku_trains_and_evaluates_on_the_ladder_it_can_play(tmp_path, capsys):
    """Alpha-beta cannot search a 15x15 board: the default ladder of a Gomoku run
    (and of ``boardgym eval``) is random and greedy, and the run goes end to end."""
    from boardgym.agents import cli

    default_ladder = dataclasses.replace(_config(tmp_path, game="gomoku", steps=200).selfplay,
                                         eval_opponents=SelfPlayConfig().eval_opponents, eval_games=2)
    trainer = run_training(dataclasses.replace(_config(tmp_path, game="gomoku", steps=200), selfplay=default_ladder))
    assert trainer.config.eval_opponents == ("random", "greedy")
    assert set(trainer.last_report.matches) == {"random", "greedy"}
    checkpoint = load_checkpoint(trainer.run_dir / "latest.pt")
    assert checkpoint["game"] == "gomoku" and tuple(checkpoint["config"]["selfplay"]["eval_opponents"]) == ("random", "greedy")
    capsys.readouterr()
    assert cli.main(["eval", str(trainer.run_dir / "latest.pt"), "--games", "2"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[4::3]] == ["random", "greedy"]


@pytest.mark.parametrize("args,message", [
    (["--selfplay.eval-opponents", "random", "grredy"], "--selfplay.eval-opponents: unknown opponent 'grredy'"),
    (["--selfplay.opponents", "self=0.5,grredy=0.5"], "--selfplay.opponents: unknown opponent 'grredy'"),
    (["--resume", "nowhere/latest.pt"], "no checkpoint file at nowhere/latest.pt"),
])
def test_train_refuses_a_bad_config_before_making_a_run_directory(tmp_path, capsys, args, message):
    from boardgym.agents import cli

    logdir = tmp_path / "runs"
    assert cli.main(["train", "--logdir", str(logdir), "--steps", "100", "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("boardgym train: error: ") and message in err
    assert not logdir.exists()
