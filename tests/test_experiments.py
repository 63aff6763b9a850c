"""The encoding experiments: the time-budget callback, the outcome models'
pieces, and tiny end-to-end runs of `boardgym experiment encoders|outcome`."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline

from boardgym.agents import experiments
from boardgym.agents.checkpoint import load_checkpoint, load_policy
from boardgym.agents.cli import main
from boardgym.agents.encoders import make_encoder
from boardgym.agents.outcome_experiment import (EncoderFeatures, OutcomeExperimentConfig,
                                                RoundedRegressionClassifier, find_data, run_outcome, sign_accuracy)
from boardgym.pipelines.kfold import cross_validate, make_kfold

torch.set_num_threads(1)

DATA = Path("/work/shared/data")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeTrainer:
    """Evaluations that take 100 s of wall-clock time."""

    def __init__(self, clock: Clock):
        self.clock = clock

    def evaluate(self) -> dict:
        self.clock.now += 100.0
        return {"eval/random/win": 0.5}


def test_training_budget_evaluates_at_equal_shares_and_does_not_charge_evaluations(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(experiments.time, "perf_counter", clock)
    budget = experiments.TrainingBudget(FakeTrainer(clock), seconds=10.0, evaluations=2)
    steps_and_times = [(100, 3.0), (200, 5.0), (300, 108.0), (400, 115.0)]
    go_on = []
    for step, now in steps_and_times:
        clock.now = now
        go_on.append(budget(step, {}))
    # Evaluations at 5 s and 10 s of training; the 100 s the first one took is not training time.
    assert go_on == [True, True, True, False]
    assert [step for step, _ in budget.curve] == [200, 400]
    assert budget.trained_seconds == 15.0


def test_encoders_experiment_config_rejects_unknown_encoders():
    with pytest.raises(ValueError, match="encoders must name registered encoders"):
        experiments.EncodersExperimentConfig(encoders=("planes", "pixels"))


@pytest.mark.slow
def test_encoders_experiment_end_to_end(tmp_path, capsys):
    argv = ["experiment", "encoders", "--budget-minutes", "0.01", "--seeds", "2", "--evaluations", "2",
            "--encoders", "planes", "bovw", "--workers", "2", "--eval-games", "10", "--num-envs", "32",
            "--out", str(tmp_path)]
    assert main(argv) == 0
    (experiment_dir,) = tmp_path.iterdir()
    table = (experiment_dir / "results.md").read_text()
    assert "| planes | 2 |" in table and "| bovw | 2 |" in table and "win vs alphabeta:2" in table
    assert (experiment_dir / "win_rate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runs = json.loads((experiment_dir / "results.json").read_text())["runs"]
    assert sorted((run["encoder"], run["seed"]) for run in runs) == [("bovw", 0), ("bovw", 1), ("planes", 0),
                                                                      ("planes", 1)]
    for run in runs:
        assert len(run["curve"]) == 2 and run["steps"] >= run["curve"][-1]["step"] > 0
        run_dir = experiment_dir / "tensorboard" / f"{run['encoder']}_s{run['seed']}"
        assert any(path.name.startswith("events.out.tfevents") for path in run_dir.iterdir())
        checkpoint = load_checkpoint(run_dir / "latest.pt", "connect_four")
        assert checkpoint["encoder"]["name"] == run["encoder"] and checkpoint["step"] == run["steps"]
        first_move = load_policy(run_dir / "latest.pt").act(np.zeros((1, 2, 6, 7), np.int8), np.ones((1, 7), np.int8))
        assert first_move.shape == (1,) and 0 <= first_move[0] < 7
    assert "plot, tables and TensorBoard runs in" in capsys.readouterr().out


def test_sign_accuracy_uses_a_draw_zone():
    # Predicted results: win, draw, draw, loss; true: win, draw, loss, win.
    assert sign_accuracy(np.array([3, 0, -2, 5]), np.array([0.7, 0.2, -0.4, -1.0])) == 0.5


def test_rounded_regression_classifier_snaps_to_the_nearest_label():
    X = np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]])
    y = np.array([-1, -1, 0, 1, 1])
    model = RoundedRegressionClassifier(LinearRegression()).fit(X, y)
    # The least-squares line is 0.6 x: -1.2, -0.6, 0, 0.6, 1.2 -> nearest labels.
    np.testing.assert_array_equal(model.predict(X), [-1, -1, 0, 1, 1])
    np.testing.assert_array_equal(model.predict(np.array([[0.8], [-0.9]])), [0, -1])


def test_encoder_features_are_fitted_on_the_training_fold_only():
    from boardgym.pipelines.datasets import read_uci_connect4

    planes, outcomes = read_uci_connect4(DATA / "uci_connect4_sample30" / "connect-4.sample30.data")
    planes, outcomes = planes[:150], outcomes[:150]
    X = planes.reshape(len(planes), -1)
    model = make_pipeline(EncoderFeatures("bovw", random_state=3), GaussianNB())
    result = cross_validate(model, X, outcomes, cv=make_kfold(3))
    (train_rows, _), *_ = make_kfold(3).split(X)
    alone = make_encoder("bovw", "connect_four", seed=3, fit=False).fit(planes[train_rows])
    assert torch.equal(result.estimators[0].steps[0][1].encoder_.centres, alone.centres)
    everything = make_encoder("bovw", "connect_four", seed=3, fit=False).fit(planes)
    assert not torch.equal(everything.centres, alone.centres)


def test_find_data_names_every_place_tried(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="tried .*no-such.data.*no-such.data"):
        find_data("no-such.data", "the UCI connect-4 file")
    assert main(["experiment", "outcome", "--uci-path", "no-such.data"]) == 2


def test_outcome_experiment_on_a_small_sample(tmp_path):
    uci = (DATA / "uci_connect4_sample30" / "connect-4.sample30.data").read_text().splitlines()[:300]
    (tmp_path / "uci.data").write_text("\n".join(uci) + "\n")
    (tmp_path / "pons").mkdir()
    for name in ("Test_L2_R1", "Test_L3_R1"):
        lines = (DATA / "pons_connect4" / name).read_text().splitlines()[:50]
        (tmp_path / "pons" / name).write_text("\n".join(lines) + "\n")
    config = OutcomeExperimentConfig(uci_path=str(tmp_path / "uci.data"), pons_dir=str(tmp_path / "pons"),
                                     epochs=2, value_epochs=2, out=str(tmp_path / "out"))
    report = run_outcome(config)
    labels = [line.rsplit(",", 1)[1] for line in uci]
    majority = report["outcome_rows"][0]
    assert majority["model"] == "majority class"
    # Every training fold's majority is "win", so the baseline is right exactly on the wins.
    assert majority["result"].pooled["accuracy"] == labels.count("win") / len(labels)
    assert [row["model"] for row in report["outcome_rows"][1:]] == [
        "GaussianNB, raw cells", "GaussianNB, autoencoder latents", "GaussianNB, BoVW histograms",
        "feed-forward classifier, raw cells", "feed-forward regression of +1/0/-1, raw cells"]
    value_rows = {row["model"]: row["result"] for row in report["value_rows"]}
    assert value_rows["mean score (constant)"].pooled["r2"] <= 0.0
    assert value_rows["linear regression, planes"].pooled["sign_accuracy"] > 0.0
    written = (tmp_path / "out" / "outcome.md").read_text()
    assert "| majority class |" in written and "pooled sign_accuracy" in written
