"""``boardgym pipelines <chapter>`` end to end: options, printed metrics, plots;
and the layering rule that pipelines never import agents."""

import subprocess
import sys

import pytest
import torch

from boardgym.agents.cli import main

torch.set_num_threads(1)


def test_usage_lists_the_chapters(capsys):
    assert main(["--help"]) == 0
    usage = capsys.readouterr().out
    for chapter in ("regression", "kfold", "autoencoder", "bovw"):
        assert f"pipelines {chapter}" in usage


def test_kfold_prints_the_tutorials_number(tmp_path, capsys):
    assert main(["pipelines", "kfold", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "pooled_accuracy    0.9663" in out and "correct            172" in out
    assert f"plot: {tmp_path / 'wine_fold_accuracy.png'}" in out
    assert (tmp_path / "wine_fold_accuracy.png").exists()


def test_regression_prints_both_models(tmp_path, capsys):
    assert main(["pipelines", "regression", "--epochs", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "linear_test_r2     0.2968" in out and "network_test_rmse" in out
    assert (tmp_path / "diabetes_predicted_vs_true.png").exists()


def test_bad_values_exit_with_code_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["pipelines", "kfold", "--no-shuffle", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "has no effect without shuffling" in capsys.readouterr().err
    assert not tmp_path.joinpath("wine_fold_accuracy.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("chapter, plot, metric", [
    ("autoencoder", "digits_reconstructions.png", "test_mse"),
    ("bovw", "visual_words.png", "bovw_precision_at_10"),
])
def test_image_chapters_run(chapter, plot, metric, tmp_path, capsys):
    assert main(["pipelines", chapter, "--epochs", "1", "--out", str(tmp_path)]) == 0
    assert metric in capsys.readouterr().out
    assert (tmp_path / plot).exists()


def test_pipelines_never_import_agents():
    code = ("import sys\n"
            "from boardgym.pipelines import autoencoder, bovw, datasets, kfold, regression\n"
            "print(sorted(m for m in sys.modules if m.startswith('boardgym.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "boardgym.pipelines.bovw" in loaded and "boardgym.envs.rules" in loaded
    assert "boardgym.agents" not in loaded
