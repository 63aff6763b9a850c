"""pipelines.kfold: the tutorial's K-fold numbers, pooled scores, fold-local
preprocessing and the seed-without-shuffle rule."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LinearRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from boardgym.pipelines import kfold
from boardgym.pipelines.datasets import digits_28x28
from boardgym.pipelines.kfold import KFoldConfig, cross_validate, make_kfold

#: What the tutorial's GaussianNB-on-wine experiment prints: 172 of 178 right.
TUTORIAL_POOLED_ACCURACY = 0.9662921348314607


def tutorial_pooled_accuracy() -> float:
    """The tutorial's own code: a KFold loop, fit, predict, count the correct answers."""
    X, y = load_wine(return_X_y=True)
    correct = 0
    for train_index, test_index in KFold(n_splits=5, shuffle=True, random_state=5731).split(X):
        model = GaussianNB()
        model.fit(X[train_index], y[train_index])
        correct += int((model.predict(X[test_index]) == y[test_index]).sum())
    return correct / len(X)


def test_run_prints_the_tutorials_pooled_accuracy(tmp_path):
    result = kfold.run(KFoldConfig(out=tmp_path))
    assert tutorial_pooled_accuracy() == TUTORIAL_POOLED_ACCURACY
    assert result.metrics["pooled_accuracy"] == TUTORIAL_POOLED_ACCURACY
    assert (result.metrics["correct"], result.metrics["samples"]) == (172, 178)
    assert "pooled_accuracy    0.9663" in result.lines()
    assert result.plots[0] == tmp_path / "wine_fold_accuracy.png" and result.plots[0].exists()


def test_pooled_scores_count_over_all_samples():
    X, y = load_wine(return_X_y=True)
    result = cross_validate(GaussianNB(), X, y)
    assert result.pooled["accuracy"] == np.mean(result.predictions == y)
    assert result.pooled["macro_f1"] == f1_score(y, result.predictions, average="macro")
    assert sorted(np.bincount(result.fold_of_sample).tolist()) == [35, 35, 36, 36, 36]
    # Pooled accuracy weighs folds by their size; here fold 4 (35 rows) scored 32/35.
    np.testing.assert_allclose(result.fold_scores["accuracy"], [35 / 36, 35 / 36, 1.0, 32 / 35, 34 / 35])
    assert result.spread("accuracy") == pytest.approx(np.std(result.fold_scores["accuracy"]))


def test_seed_without_shuffle_is_refused():
    with pytest.raises(ValueError, match=r"random_state=5731 has no effect when shuffle=False"):
        make_kfold(shuffle=False)
    with pytest.raises(ValueError, match=r"seed=5731 has no effect without shuffling"):
        KFoldConfig(shuffle=False)
    in_order = make_kfold(n_splits=2, shuffle=False, random_state=None)
    assert [test.tolist() for _, test in in_order.split(np.zeros(4))] == [[0, 1], [2, 3]]


def test_bad_fold_count_is_refused():
    with pytest.raises(ValueError, match="n_splits must be an integer of at least 2"):
        make_kfold(n_splits=1)


def test_preprocessing_is_fitted_inside_each_fold_only():
    X, y = load_wine(return_X_y=True)
    result = cross_validate(make_pipeline(StandardScaler(), GaussianNB()), X, y)
    for fold, fitted in enumerate(result.estimators):
        training_rows = X[result.fold_of_sample != fold]
        np.testing.assert_allclose(fitted.named_steps["standardscaler"].mean_, training_rows.mean(axis=0))
        assert not np.allclose(fitted.named_steps["standardscaler"].mean_, X.mean(axis=0))


def test_regressors_get_pooled_rmse_and_r2():
    X, y = load_diabetes(return_X_y=True)
    result = cross_validate(LinearRegression(), X, y)
    assert set(result.pooled) == {"rmse", "r2"}
    assert result.pooled["rmse"] == pytest.approx(np.sqrt(np.mean((result.predictions - y) ** 2)))
    assert len(result.fold_scores["r2"]) == 5 and 0.3 < result.pooled["r2"] < 0.6


def test_string_labels_keep_their_type():
    X, y = load_wine(return_X_y=True)
    names = np.array(["barolo", "grignolino", "barbera"])[y]
    result = cross_validate(GaussianNB(), X, names)
    assert result.predictions.dtype.kind == "U"
    assert result.pooled["accuracy"] == TUTORIAL_POOLED_ACCURACY


def test_gaussian_nb_on_images_with_constant_zero_borders_is_finite():
    images, labels = digits_28x28()
    # float64: GaussianNB computes in its input's precision, and float32 sums drift by 1e-4.
    X = np.pad(images, ((0, 0), (2, 2), (2, 2))).reshape(len(images), -1).astype(np.float64)
    assert (X.std(axis=0) == 0).sum() == 244  # every border pixel, and more, never varies
    model = GaussianNB().fit(X, labels)
    probabilities = model.predict_proba(X)
    assert np.isfinite(probabilities).all() and np.isfinite(model.predict_log_proba(X)).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert cross_validate(GaussianNB(), X, labels).pooled["accuracy"] == pytest.approx(0.8870339454646633)
