"""SoftmaxRegressionCV: the same choice as LogisticRegressionCV, and the documented API.

Design note
-----------
The promise is ``LogisticRegressionCV(Cs, cv, scoring="neg_log_loss")``'s job for the L2 model:
on the same folds, the same ``C_`` and the same fold scores. The central test runs both on
scikit-learn's data sets (standardised; a binary and two multiclass ones) with a tight ``tol``
and a grid of ``C`` on which both solvers converge and no held-out probability falls below
float epsilon (where scikit-learn clips and skxent, scoring from the logits, does not), and
compares ``C_``, ``scores_`` (to 1e-6), ``coefs_paths_`` and the refitted model. The rest pins
how the folds are run (each fold's path is ``SoftmaxRegression`` warm-started along ``Cs`` on
its training rows, bit-identical for every ``n_threads``, the same with grouped folds),
splitters with ``groups``, weights, dtypes, sparse input, soft labels, scorers, ``refit=False``,
errors, and the pipeline/clone/pickle plumbing. ``check_estimator`` runs in
``test_estimator_checks.py``; scikit-learn's own LogisticRegressionCV tests that apply run in
``test_sklearn_logistic_suite.py``.
"""

import pickle
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    ShuffleSplit,
    StratifiedKFold,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skxent.linear_model import SoftmaxRegression, SoftmaxRegressionCV
from skxent.linear_model import _softmax_cv
from skxent.metrics import log_loss

TIGHT = dict(tol=1e-10, max_iter=10_000)


def _scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _quiet(fit):
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)  # L-BFGS-B's ftol stop at 1e-10
        return fit()


def _lrcv(X, y, sample_weight=None, scoring="neg_log_loss", **kw):
    return _quiet(lambda: LogisticRegressionCV(
        scoring=scoring, l1_ratios=(0,), use_legacy_attributes=False, **kw
    ).fit(X, y, sample_weight=sample_weight))


# -- agreement with LogisticRegressionCV ----------------------------------------------------------


@pytest.mark.parametrize("load, Cs", [
    (load_wine, np.logspace(-4, 0, 5)),
    (load_breast_cancer, np.logspace(-4, -1, 4)),
    (load_iris, np.logspace(-3, 1, 5)),
])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_same_C_and_fold_scores_as_logistic_regression_cv(load, Cs, solver):
    X, y = _scaled(load)
    cv = StratifiedKFold(5)
    ours = _quiet(lambda: SoftmaxRegressionCV(Cs=Cs, cv=cv, solver=solver, **TIGHT).fit(X, y))
    ref = _lrcv(X, y, Cs=Cs, cv=cv, solver="lbfgs", **TIGHT)
    assert ours.C_ == ref.C_ and isinstance(ours.C_, float)
    np.testing.assert_array_equal(ours.Cs_, ref.Cs_)
    np.testing.assert_allclose(ours.scores_, ref.scores_[:, 0, :], rtol=0, atol=1e-6)
    K = 1 if len(ref.classes_) == 2 else len(ref.classes_)
    assert ours.coefs_paths_.shape == (5, len(Cs), K, X.shape[1] + 1)
    np.testing.assert_allclose(ours.coefs_paths_, ref.coefs_paths_[:, 0], rtol=1e-4, atol=1e-5)
    assert ours.n_iter_.shape == (5, len(Cs))
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_default_grid_chooses_logistic_regression_cvs_C_at_the_default_tol():
    # Cs=10 (np.logspace(-4, 4, 10)), tol=1e-4, max_iter=100: the paths are scikit-learn's (same
    # L-BFGS-B options), so the same iteration counts and the same choice.
    X, y = _scaled(load_wine)
    ours = _quiet(lambda: SoftmaxRegressionCV(cv=StratifiedKFold(5)).fit(X, y))
    ref = _lrcv(X, y, cv=StratifiedKFold(5))
    np.testing.assert_array_equal(ours.Cs_, np.logspace(-4, 4, 10))
    assert ours.C_ == ref.C_
    assert np.abs(ours.n_iter_ - ref.n_iter_[:, 0]).max() <= 1
    best = np.argmax(ref.scores_[:, 0].sum(axis=0))
    np.testing.assert_allclose(ours.scores_[:, best], ref.scores_[:, 0, best], atol=1e-6)


@pytest.mark.parametrize("load", [load_wine, load_breast_cancer])
def test_refit_false_averages_each_folds_best_solution_as_logistic_regression_cv(load):
    X, y = _scaled(load)
    Cs = np.logspace(-3, 0, 4)
    ours = _quiet(lambda: SoftmaxRegressionCV(Cs=Cs, refit=False, **TIGHT).fit(X, y))
    ref = _lrcv(X, y, Cs=Cs, refit=False, **TIGHT)
    assert ours.C_ == pytest.approx(ref.C_, rel=1e-12)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-5)


def test_group_splitters_take_groups_in_fit_and_match_logistic_regression_cv():
    X, y = make_classification(600, 8, n_informative=5, n_classes=3, random_state=0)
    groups = np.repeat(np.arange(12), 50)
    Cs = np.logspace(-2, 1, 4)
    with_groups = SoftmaxRegressionCV(Cs=Cs, cv=GroupKFold(4), **TIGHT).fit(X, y, groups=groups)
    splits = list(GroupKFold(4).split(X, y, groups))
    with_splits = SoftmaxRegressionCV(Cs=Cs, cv=splits, **TIGHT).fit(X, y)
    np.testing.assert_array_equal(with_groups.scores_, with_splits.scores_)
    ref = _lrcv(X, y, Cs=Cs, cv=splits, **TIGHT)
    assert with_groups.C_ == ref.C_
    np.testing.assert_allclose(with_groups.scores_, ref.scores_[:, 0], atol=1e-6)
    logo = SoftmaxRegressionCV(Cs=Cs, cv=LeaveOneGroupOut()).fit(X, y, groups=groups)
    assert logo.scores_.shape == (12, 4)


def test_scoring_string_is_called_as_logistic_regression_cv_calls_it():
    X, y = _scaled(load_wine)
    Cs = np.logspace(-3, 0, 4)
    ours = _quiet(lambda: SoftmaxRegressionCV(Cs=Cs, scoring="accuracy", **TIGHT).fit(X, y))
    ref = _lrcv(X, y, Cs=Cs, scoring="accuracy", **TIGHT)
    np.testing.assert_array_equal(ours.scores_, ref.scores_[:, 0])
    assert ours.score(X, y) == pytest.approx(ref.score(X, y))


# -- how the folds are run ------------------------------------------------------------------------


def _bootstrap_splits(n, n_splits, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_splits):
        train = rng.integers(0, n, n)  # rows drawn with repetition
        out.append((train, np.setdiff1d(np.arange(n), train)))
    return out


@pytest.mark.parametrize("splitter", ["kfold", "shuffle-split", "bootstrap"])
def test_each_fold_path_is_softmax_regression_warm_started_along_Cs(splitter):
    # kfold: a partition (rows sorted by held-out fold, fold-aligned blocks); the others: row
    # weights per fold (rows outside a split, rows drawn twice)
    X, y = make_classification(2000, 15, n_informative=8, n_classes=4, random_state=1)
    Cs = [1e-3, 1e-1, 1.0, 10.0]
    cv = {
        "kfold": lambda: list(KFold(3, shuffle=True, random_state=0).split(X)),
        "shuffle-split": lambda: list(ShuffleSplit(3, test_size=0.3, train_size=0.5,
                                                  random_state=0).split(X)),
        "bootstrap": lambda: _bootstrap_splits(len(y), 3, 0),
    }[splitter]()
    est = SoftmaxRegressionCV(Cs=Cs, cv=cv, tol=1e-6, max_iter=500).fit(X, y)
    for f, (train, _) in enumerate(cv):
        ref = SoftmaxRegression(warm_start=True, tol=1e-6, max_iter=500)
        for j, C in enumerate(Cs):
            ref.set_params(C=C).fit(X[train], y[train])
            np.testing.assert_allclose(est.coefs_paths_[f, j, :, :-1], ref.coef_, rtol=1e-7,
                                       atol=1e-9)
            np.testing.assert_allclose(est.coefs_paths_[f, j, :, -1], ref.intercept_,
                                       rtol=1e-7, atol=1e-9)
            assert est.n_iter_[f, j] == ref.n_iter_


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_fit_is_bit_identical_for_every_n_threads(solver):
    X, y = make_classification(20_000, 40, n_informative=10, n_classes=5, random_state=0)
    fits = [SoftmaxRegressionCV(Cs=3, cv=3, solver=solver, n_threads=nt).fit(X, y)
            for nt in (1, 2)]
    np.testing.assert_array_equal(fits[0].coefs_paths_, fits[1].coefs_paths_)
    np.testing.assert_array_equal(fits[0].scores_, fits[1].scores_)
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


@pytest.mark.parametrize("partition", [True, False])
def test_folds_run_in_groups_give_the_same_choice(monkeypatch, partition):
    X, y = make_classification(1500, 10, n_informative=6, n_classes=3, random_state=2)
    cv = 5 if partition else ShuffleSplit(5, test_size=0.2, random_state=0)
    full = SoftmaxRegressionCV(Cs=4, cv=cv, tol=1e-8, max_iter=1000).fit(X, y)
    monkeypatch.setattr(_softmax_cv, "_MAX_WIDTH", 6)  # groups of two folds (3 classes)
    grouped = SoftmaxRegressionCV(Cs=4, cv=cv, tol=1e-8, max_iter=1000).fit(X, y)
    assert grouped.C_ == full.C_
    # the same paths up to rounding (the sums of a pass are grouped differently)
    np.testing.assert_allclose(grouped.coefs_paths_, full.coefs_paths_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grouped.scores_, full.scores_, rtol=1e-7)


def test_newton_cg_and_lbfgs_choose_the_same_C():
    X, y = _scaled(load_wine)
    Cs = np.logspace(-4, 0, 5)  # both converge to 1e-10 there
    a = SoftmaxRegressionCV(Cs=Cs, solver="lbfgs", **TIGHT)
    b = SoftmaxRegressionCV(Cs=Cs, solver="newton-cg", **TIGHT)
    a, b = _quiet(lambda: a.fit(X, y)), _quiet(lambda: b.fit(X, y))
    assert a.C_ == b.C_
    np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-6)


# -- weights, dtypes, inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_integer_sample_weight_equals_repeated_rows_within_a_fold(solver):
    # scikit-learn's check: weights (zeros included) in one group of a LeaveOneGroupOut split
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=3)
    groups = np.repeat([0, 1, 2], 100)
    sw = np.ones(300)
    sw[:100] = np.random.default_rng(0).integers(0, 4, 100)
    rep = sw.astype(int)
    Cs = np.logspace(-2, 1, 4)
    a = SoftmaxRegressionCV(Cs=Cs, cv=LeaveOneGroupOut(), solver=solver, tol=1e-8,
                            max_iter=1000).fit(X, y, sample_weight=sw, groups=groups)
    b = SoftmaxRegressionCV(Cs=Cs, cv=LeaveOneGroupOut(), solver=solver, tol=1e-8,
                            max_iter=1000).fit(np.repeat(X, rep, axis=0), np.repeat(y, rep),
                                               groups=np.repeat(groups, rep))
    np.testing.assert_allclose(a.scores_, b.scores_, rtol=1e-7)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5, atol=1e-7)


def test_held_out_scores_use_the_held_out_sample_weights_without_class_weights():
    X, y = _scaled(load_wine)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    cv = list(StratifiedKFold(4).split(X, y))
    est = SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=cv, class_weight="balanced").fit(
        X, y, sample_weight=sw)
    for f, (_, test) in enumerate(cv):
        for j in range(2):
            W = est.coefs_paths_[f, j]
            Z = X[test] @ W[:, :-1].T + W[:, -1]
            expected = -log_loss(y[test], Z, from_logits=True, sample_weight=sw[test],
                                 labels=est.classes_)
            assert est.scores_[f, j] == pytest.approx(expected, rel=1e-12)
    ref = _lrcv(X, y, Cs=[0.1, 1.0], cv=cv, class_weight="balanced", sample_weight=sw)
    np.testing.assert_allclose(est.scores_, ref.scores_[:, 0], atol=1e-4)  # tol=1e-4 fits


def test_float32_is_kept_and_sparse_equals_dense():
    X, y = make_classification(500, 10, n_informative=6, n_classes=3, random_state=4)
    X[X < 0] = 0
    Cs = np.logspace(-3, 0, 4)
    dense = SoftmaxRegressionCV(Cs=Cs, tol=1e-8, max_iter=1000).fit(X, y)
    sp = SoftmaxRegressionCV(Cs=Cs, tol=1e-8, max_iter=1000).fit(sparse.csr_matrix(X), y)
    assert sp.C_ == dense.C_
    np.testing.assert_allclose(sp.coefs_paths_, dense.coefs_paths_, rtol=1e-5, atol=1e-7)
    f32 = SoftmaxRegressionCV(Cs=4, tol=1e-4).fit(X.astype(np.float32), y)
    assert f32.coef_.dtype == f32.intercept_.dtype == f32.coefs_paths_.dtype == np.float32
    assert dense.coef_.dtype == dense.coefs_paths_.dtype == np.float64
    assert f32.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_binary_is_the_binomial_model_with_one_output():
    X, y = _scaled(load_breast_cancer)
    labels = np.array(["no", "yes"])[y]
    est = SoftmaxRegressionCV(Cs=3, cv=3).fit(X, labels)
    assert est.coefs_paths_.shape == (3, 3, 1, X.shape[1] + 1)
    assert est.coef_.shape == (1, X.shape[1]) and est.intercept_.shape == (1,)
    assert est.decision_function(X).shape == (len(y),)
    assert set(est.predict(X)) <= {"no", "yes"}


def test_soft_labels_are_cross_validated_with_kfold_and_the_soft_log_loss():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((600, 5))
    from scipy.special import softmax

    P = softmax(X @ rng.standard_normal((5, 3)), axis=1)
    est = SoftmaxRegressionCV(Cs=[0.01, 1.0, 100.0], cv=KFold(3)).fit(X, P)
    np.testing.assert_array_equal(est.classes_, np.arange(3))
    assert est.C_ == 100.0  # the teacher is a linear model: the least penalised fit is best
    from scipy.special import log_softmax

    for f, (_, test) in enumerate(KFold(3).split(X)):
        W = est.coefs_paths_[f, 0]
        Z = X[test] @ W[:, :-1].T + W[:, -1]
        expected = (P[test] * log_softmax(Z, axis=1)).sum(axis=1).mean()
        assert est.scores_[f, 0] == pytest.approx(expected, rel=1e-10)


def test_C_inf_in_the_grid_is_the_unpenalised_fit():
    X, y = make_classification(400, 5, n_informative=3, n_redundant=0, flip_y=0.2,
                               random_state=6)
    est = SoftmaxRegressionCV(Cs=[0.01, np.inf], cv=3, **TIGHT).fit(X, y)
    ref = SoftmaxRegression(C=np.inf, **TIGHT).fit(X, y)
    if est.C_ == np.inf:
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert np.isfinite(est.coefs_paths_).all()


def test_refit_is_softmax_regression_at_C_and_score_is_the_negative_log_loss():
    X, y = _scaled(load_wine)
    est = _quiet(lambda: SoftmaxRegressionCV(Cs=4, solver="newton-cg", **TIGHT).fit(X, y))
    ref = SoftmaxRegression(C=est.C_, solver="newton-cg", **TIGHT).fit(X, y)
    # both are minimisers to tol=1e-10 (the refit warm-started from the path, the reference
    # from zero): at this small C the problem is ill-conditioned, so their coefficients agree
    # to ~1e-7, their probabilities much closer
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-8)
    expected = -log_loss(y, est.predict_proba(X))
    assert est.score(X, y) == pytest.approx(expected, rel=1e-9)


def test_bad_parameters_raise():
    X, y = _scaled(load_iris)
    with pytest.raises(ValueError, match="Cs must be positive"):
        SoftmaxRegressionCV(Cs=[0.1, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="The 'Cs' parameter"):
        SoftmaxRegressionCV(Cs=0).fit(X, y)
    with pytest.raises(ValueError, match="The 'scoring' parameter"):
        SoftmaxRegressionCV(scoring="no-such-scorer").fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        SoftmaxRegressionCV().fit(X, np.zeros(len(y)))


# -- scikit-learn plumbing --------------------------------------------------------------------


def test_pipeline_clone_pickle_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _scaled(load_wine)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), SoftmaxRegressionCV(Cs=3, cv=3)).fit(df, y)
    est = pipe[-1]
    assert est.scores_.shape == (3, 3) and est.n_features_in_ == X.shape[1]
    back = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(back.predict_proba(df), pipe.predict_proba(df))
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "coef_")
    direct = SoftmaxRegressionCV(Cs=3, cv=3).fit(df, y)
    np.testing.assert_array_equal(direct.feature_names_in_, df.columns)
