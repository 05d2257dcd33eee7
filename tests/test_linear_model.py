"""SoftmaxRegression and MultiLabelLogistic: agreement with scikit-learn and the documented API.

Design note
-----------
The promise is "the same objective as ``LogisticRegression(C=C)``", so the central tests fit
both on the data sets scikit-learn ships (standardised), at several ``C``, with a tight ``tol``,
and compare coefficients and probabilities with tolerances like scikit-learn's own solver
equivalence tests. Binary problems are the binomial model, so they are compared with
``LogisticRegression(C=C)`` at the same ``C`` (``coef_`` ``(1, n_features)``, 1-D decision
function); the class-weighted binomial model with soft labels or label smoothing (which
scikit-learn cannot fit) is checked against a direct minimisation of its documented objective.
scikit-learn's own ``test_logistic.py`` runs against ``SoftmaxRegression`` in
``test_sklearn_logistic_suite.py``; ``SoftmaxRegressionCV`` is tested in
``test_linear_model_cv.py``. The rest pins
what scikit-learn users rely on: weights, dtypes, layouts, sparse input, soft labels, warm
starts, warnings, errors, and the meta-estimator/pickle/pandas plumbing.
"""

import functools
import io
import pickle
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skxent.linear_model import MultiLabelLogistic, SoftmaxRegression

TIGHT = dict(tol=1e-10, max_iter=10_000)


def _scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _fit_quiet(est, *args, **kw):
    # One BLAS thread: scikit-learn's multithreaded BLAS on a busy 2-core machine was measured
    # 100x slower than single-threaded; it changes nothing in the results.
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        # L-BFGS may stop on ftol before tol=1e-10 (as scikit-learn's does).
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kw)


@functools.lru_cache(maxsize=None)
def _sklearn_reference(load, C):
    X, y = _scaled(load)
    return _fit_quiet(LogisticRegression(C=C, solver="lbfgs", **TIGHT), X, y)


def _multinomial_objective(coef, intercept, X, y, C):
    from scipy.special import log_softmax

    logp = log_softmax(X @ coef.T + intercept, axis=1)
    n = X.shape[0]
    return -logp[np.arange(n), y].mean() + np.sum(coef**2) / (2 * C * n)


# -- agreement with LogisticRegression -------------------------------------------------------


@pytest.mark.parametrize("load", [load_iris, load_wine, load_digits])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_multiclass_coefficients_agree_with_logistic_regression(load, C, solver):
    X, y = _scaled(load)
    ours = _fit_quiet(SoftmaxRegression(C=C, solver=solver, **TIGHT), X, y)
    ref = _sklearn_reference(load, C)
    # scikit-learn's L-BFGS stops on ftol before |grad| <= 1e-10; differences of ~1e-5 are its
    # distance to the optimum (ours is never worse, checked below).
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=2e-5 * scale)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=5e-5 * scale)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    f_ours = _multinomial_objective(ours.coef_, ours.intercept_, X, y, C)
    f_ref = _multinomial_objective(ref.coef_, ref.intercept_, X, y, C)
    assert f_ours <= f_ref + 1e-13 * abs(f_ref)


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_binary_is_logistic_regressions_binomial_model_at_the_same_C(C, solver):
    X, y = _scaled(load_breast_cancer)
    labels = np.array(["benign", "malignant"])[y]
    ours = _fit_quiet(SoftmaxRegression(C=C, solver=solver, **TIGHT), X, labels)
    ref = _fit_quiet(LogisticRegression(C=C, solver="newton-cg", **TIGHT), X, labels)
    assert ours.coef_.shape == ref.coef_.shape == (1, X.shape[1])
    assert ours.intercept_.shape == ref.intercept_.shape == (1,)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=2e-5 * scale)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=2e-5 * scale)
    # the multinomial parametrisation of two classes differed here by 0.13 at C=0.1
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=2e-6)
    np.testing.assert_allclose(np.exp(ours.predict_log_proba(X)), ours.predict_proba(X),
                               rtol=1e-12)
    dec = ours.decision_function(X)
    assert dec.shape == (X.shape[0],)
    np.testing.assert_allclose(dec, ref.decision_function(X), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("class_weight", ["balanced", {0: 0.3, 1: 2.5}, {0: 0.0, 1: 1.0}])
def test_binary_class_and_sample_weights_agree_with_logistic_regression(class_weight):
    X, y = _scaled(load_breast_cancer)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    ours = _fit_quiet(SoftmaxRegression(class_weight=class_weight, **TIGHT), X, y,
                      sample_weight=sw)
    ref = _fit_quiet(LogisticRegression(class_weight=class_weight, **TIGHT), X, y,
                     sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=1e-6)


def test_binary_two_column_soft_labels_are_the_binomial_model_on_the_second_column():
    X, y = _scaled(load_breast_cancer)
    p = np.random.default_rng(1).uniform(0.1, 0.9, X.shape[0])
    Y = np.column_stack([1 - p, p])
    ours = SoftmaxRegression(C=0.5, **TIGHT).fit(X, Y)
    assert ours.coef_.shape == (1, X.shape[1])
    np.testing.assert_array_equal(ours.classes_, [0, 1])
    # the binomial model on a soft target: MultiLabelLogistic's objective for each label (a
    # single-column Y would be read as 1-D labels, hence two copies of the label)
    ref = MultiLabelLogistic(C=0.5, **TIGHT).fit(X, np.column_stack([p, p]))
    np.testing.assert_allclose(ours.coef_[0], ref.coef_[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X)[:, 1], ref.predict_proba(X)[:, 0],
                               atol=2e-6)
    # one-hot rows are the hard labels
    hard = SoftmaxRegression(C=0.5, **TIGHT).fit(X, np.eye(2)[y])
    np.testing.assert_allclose(hard.coef_,
                               SoftmaxRegression(C=0.5, **TIGHT).fit(X, y).coef_,
                               rtol=1e-7, atol=1e-9)


def _binomial_objective(theta, X, t, s, c0, c1, e, C, fit_intercept):
    """The documented class-weighted binomial objective with label smoothing, NumPy/SciPy."""
    from scipy.special import log_expit

    w, b = (theta[:-1], theta[-1]) if fit_intercept else (theta, 0.0)
    z = X @ w + b
    ts = t * (1 - e) + e / 2
    loss = -(c1 * ts * log_expit(z) + c0 * (1 - ts) * log_expit(-z))
    S = s @ (c0 * (1 - t) + c1 * t)
    return (s @ loss + w @ w / (2 * C)) / S


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("c0", [0.4, 0.0])  # 0: fitted with the classes swapped
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_binary_class_weights_with_smoothing_or_soft_labels_minimise_the_documented_objective(
    soft, c0, solver
):
    from scipy.optimize import minimize

    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 4))
    t = (rng.random(300) < 1 / (1 + np.exp(-(X @ [1.0, -2.0, 0.5, 0.0])))).astype(float)
    if soft:
        t = np.clip(t * 0.8 + rng.uniform(0, 0.2, 300), 0, 1)
    s = rng.uniform(0.5, 1.5, 300)
    c1, e, C = 1.7, (0.0 if soft else 0.1), 0.8
    # with c0 = 0 only the positive terms remain: an unpenalised intercept would diverge
    fit_intercept = c0 > 0
    y = np.column_stack([1 - t, t]) if soft else t.astype(int)
    est = SoftmaxRegression(C=C, class_weight={0: c0, 1: c1}, label_smoothing=e, solver=solver,
                            fit_intercept=fit_intercept, **TIGHT).fit(X, y, sample_weight=s)
    ref = minimize(_binomial_objective, np.zeros(4 + fit_intercept),
                   args=(X, t, s, c0, c1, e, C, fit_intercept), method="BFGS",
                   options={"gtol": 1e-10, "maxiter": 10_000})
    np.testing.assert_allclose(est.coef_[0], ref.x[:4], rtol=1e-5, atol=1e-6)
    if fit_intercept:
        np.testing.assert_allclose(est.intercept_[0], ref.x[-1], rtol=1e-5, atol=1e-6)
    else:
        assert est.intercept_[0] == 0


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_C_inf_is_the_unpenalised_fit_of_logistic_regression(n_classes, solver):
    X, y = make_classification(400, 6, n_informative=4, n_redundant=0, n_classes=n_classes,
                               flip_y=0.2, random_state=0)
    ours = _fit_quiet(SoftmaxRegression(C=np.inf, solver=solver, **TIGHT), X, y)
    ref = _fit_quiet(LogisticRegression(C=np.inf, solver="newton-cg", **TIGHT), X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    ml = _fit_quiet(MultiLabelLogistic(C=np.inf, solver=solver, **TIGHT), X, np.eye(n_classes)[y])
    assert np.isfinite(ml.coef_).all()


def test_lbfgs_iterations_match_scikit_learn():
    # Same objective, same gradient, same L-BFGS-B options -> the same path.
    X, y = _scaled(load_wine)
    ours = SoftmaxRegression(C=1.0).fit(X, y)
    ref = LogisticRegression(C=1.0).fit(X, y)
    assert abs(ours.n_iter_ - ref.n_iter_[0]) <= 1


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5, 2: 1.7}])
def test_class_weight_agrees_with_logistic_regression(class_weight):
    X, y = _scaled(load_wine)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    ours = _fit_quiet(SoftmaxRegression(class_weight=class_weight, **TIGHT), X, y,
                      sample_weight=sw)
    ref = _fit_quiet(LogisticRegression(class_weight=class_weight, **TIGHT), X, y,
                     sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)


def test_integer_sample_weight_equals_repeated_rows():
    X, y = _scaled(load_iris)
    rng = np.random.default_rng(0)
    sw = rng.integers(0, 4, X.shape[0])
    a = SoftmaxRegression(**TIGHT).fit(X, y, sample_weight=sw)
    b = SoftmaxRegression(**TIGHT).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-7)


# -- data handling ---------------------------------------------------------------------------


def _small_multiclass(n=300, seed=0):
    X, y = make_classification(n, 12, n_informative=6, n_classes=4, random_state=seed)
    return X, y


@pytest.mark.parametrize("layout", ["F", "strided", "csr", "csc"])
@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
def test_layouts_and_sparse_give_the_dense_c_solution(layout, Est):
    X, y = _small_multiclass()
    if Est is MultiLabelLogistic:
        y = np.eye(4)[y]
    ref = Est(**TIGHT).fit(X, y)
    Xl = {
        "F": np.asfortranarray(X),
        "strided": np.repeat(X, 2, axis=1)[:, ::2],
        "csr": sparse.csr_matrix(X),
        "csc": sparse.csc_array(X),
    }[layout]
    ours = Est(**TIGHT).fit(Xl, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(Xl), ref.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_float32_is_fitted_in_float32_and_agrees_with_float64(Est, solver):
    X, y = _small_multiclass()
    if Est is MultiLabelLogistic:
        y = np.eye(4)[y]
    a = Est(solver=solver, tol=1e-6, max_iter=1000).fit(X, y)
    b = Est(solver=solver, tol=1e-6, max_iter=1000).fit(X.astype(np.float32), y)
    # X's dtype, as scikit-learn's (the optimizer state is float64)
    assert a.coef_.dtype == a.intercept_.dtype == np.float64
    assert b.coef_.dtype == b.intercept_.dtype == np.float32
    assert b.predict_proba(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_fit_is_bit_identical_for_every_n_threads(Est, solver):
    X, y = make_classification(3000, 20, n_informative=8, n_classes=3, random_state=0)
    if Est is MultiLabelLogistic:
        y = np.eye(3)[y]
    fits = [Est(solver=solver, n_threads=nt).fit(X, y) for nt in (1, 2)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].n_iter_ == fits[1].n_iter_


def test_string_labels_and_classes():
    X, y = _scaled(load_iris)
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    a = SoftmaxRegression().fit(X, names)
    b = SoftmaxRegression().fit(X, y)
    np.testing.assert_array_equal(a.classes_, ["setosa", "versicolor", "virginica"])
    np.testing.assert_array_equal(a.predict(X), a.classes_[b.predict(X)])
    np.testing.assert_allclose(a.coef_, b.coef_)


# -- soft labels and label smoothing ---------------------------------------------------------


def test_one_hot_soft_labels_equal_hard_labels():
    X, y = _small_multiclass()
    a = SoftmaxRegression(**TIGHT).fit(X, y)
    b = SoftmaxRegression(**TIGHT).fit(X, np.eye(4)[y])
    np.testing.assert_array_equal(b.classes_, np.arange(4))
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_label_smoothing_equals_fitting_the_smoothed_soft_labels(solver):
    X, y = _small_multiclass()
    e = 0.2
    a = SoftmaxRegression(label_smoothing=e, solver=solver, **TIGHT).fit(X, y)
    b = SoftmaxRegression(solver=solver, **TIGHT).fit(X, np.eye(4)[y] * (1 - e) + e / 4)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-7)


def test_soft_labels_reach_the_teacher_probabilities():
    # Distillation: soft labels produced by a linear softmax model on the same features are
    # reproduced by an (almost) unpenalised fit.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 5))
    W = rng.standard_normal((3, 5))
    from scipy.special import softmax

    P = softmax(X @ W.T, axis=1)
    est = SoftmaxRegression(C=1e8, **TIGHT).fit(X, P)
    np.testing.assert_allclose(est.predict_proba(X), P, atol=1e-4)


def test_soft_class_weight_dict_uses_column_indices():
    X, y = _small_multiclass()
    Y = np.eye(4)[y]
    a = SoftmaxRegression(class_weight={0: 2.0, 3: 0.5}, **TIGHT).fit(X, Y)
    b = SoftmaxRegression(class_weight={0: 2.0, 3: 0.5}, **TIGHT).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-8)
    bal_soft = SoftmaxRegression(class_weight="balanced", **TIGHT).fit(X, Y)
    bal_hard = SoftmaxRegression(class_weight="balanced", **TIGHT).fit(X, y)
    np.testing.assert_allclose(bal_soft.coef_, bal_hard.coef_, rtol=1e-6, atol=1e-8)


# -- MultiLabelLogistic ----------------------------------------------------------------------


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_multilabel_agrees_with_multioutput_logistic_regression(C, solver):
    X, Y = make_multilabel_classification(500, 15, n_classes=6, random_state=0)
    X = StandardScaler().fit_transform(X)
    ours = _fit_quiet(MultiLabelLogistic(C=C, solver=solver, **TIGHT), X, Y)
    ref = _fit_quiet(MultiOutputClassifier(LogisticRegression(C=C, **TIGHT)), X, Y)
    ref_coef = np.vstack([e.coef_ for e in ref.estimators_])
    ref_b = np.concatenate([e.intercept_ for e in ref.estimators_])
    scale = np.abs(ref_coef).max()
    np.testing.assert_allclose(ours.coef_, ref_coef, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(ours.intercept_, ref_b, rtol=1e-5, atol=1e-5 * scale)
    P_ref = np.column_stack([p[:, 1] for p in ref.predict_proba(X)])
    np.testing.assert_allclose(ours.predict_proba(X), P_ref, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.predict(X).dtype == Y.dtype


def test_multilabel_1d_binary_equals_logistic_regression():
    X, y = _scaled(load_breast_cancer)
    labels = np.array(["benign", "malignant"])[y]
    ours = MultiLabelLogistic(C=0.5, **TIGHT).fit(X, labels)
    ref = LogisticRegression(C=0.5, **TIGHT).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert ours.decision_function(X).shape == (X.shape[0],)


def test_pos_weight_equals_weighting_the_positive_samples():
    # Per label, pos_weight w is a sample weight w on the positives; the minimiser does not
    # depend on the normalisation S (the objective is a multiple of LogisticRegression's).
    X, Y = make_multilabel_classification(400, 10, n_classes=3, random_state=1)
    X = StandardScaler().fit_transform(X)
    pw = np.array([3.0, 0.5, 1.5])
    ours = MultiLabelLogistic(pos_weight=pw, **TIGHT).fit(X, Y)
    for j in range(3):
        ref = LogisticRegression(**TIGHT).fit(X, Y[:, j], sample_weight=np.where(Y[:, j], pw[j], 1))
        np.testing.assert_allclose(ours.coef_[j], ref.coef_[0], rtol=1e-5, atol=1e-6)


def test_pos_weight_balanced_is_negatives_over_positives():
    X, Y = make_multilabel_classification(400, 10, n_classes=3, random_state=1)
    X = StandardScaler().fit_transform(X)
    est = MultiLabelLogistic(pos_weight="balanced").fit(X, Y)
    np.testing.assert_allclose(est.pos_weight_, (Y == 0).sum(0) / (Y == 1).sum(0))
    manual = MultiLabelLogistic(pos_weight=est.pos_weight_).fit(X, Y)
    np.testing.assert_array_equal(est.coef_, manual.coef_)


def test_multilabel_soft_targets_minimise_the_soft_objective():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 4))
    W = rng.standard_normal((3, 4))
    P = 1 / (1 + np.exp(-(X @ W.T)))
    est = MultiLabelLogistic(C=1e8, **TIGHT).fit(X, P)
    np.testing.assert_allclose(est.predict_proba(X), P, atol=1e-4)
    assert est.predict(X).dtype == P.dtype


# -- solver behaviour ------------------------------------------------------------------------


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_convergence_warning_at_max_iter(Est, solver):
    X, y = _small_multiclass()
    if Est is MultiLabelLogistic:
        y = np.eye(4)[y]
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        est = Est(solver=solver, max_iter=2, tol=1e-12).fit(X, y)
    assert est.n_iter_ == 2


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_warm_start_continues_from_the_previous_solution(Est, solver):
    X, y = _small_multiclass()
    if Est is MultiLabelLogistic:
        y = np.eye(4)[y]
    est = Est(solver=solver, warm_start=True, tol=1e-8, max_iter=1000).fit(X, y)
    n_cold = est.n_iter_
    coef = est.coef_.copy()
    est.fit(X, y)
    assert est.n_iter_ < max(n_cold // 3, 2)
    np.testing.assert_allclose(est.coef_, coef, rtol=1e-5, atol=1e-7)
    cold = Est(solver=solver, warm_start=False, tol=1e-8, max_iter=1000).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == n_cold


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_verbose_prints_one_line_per_iteration(solver):
    X, y = _small_multiclass()
    buf = io.StringIO()
    with redirect_stdout(buf):
        est = SoftmaxRegression(solver=solver, verbose=1).fit(X, y)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.startswith("iter")]
    assert len(lines) == est.n_iter_
    assert "objective" in lines[0] and "|grad|_max" in lines[0] and "elapsed" in lines[0]
    silent = io.StringIO()
    with redirect_stdout(silent):
        SoftmaxRegression(solver=solver).fit(X, y)
    assert silent.getvalue() == ""


def test_newton_cg_and_lbfgs_reach_the_same_solution():
    X, y = _small_multiclass()
    a = SoftmaxRegression(solver="lbfgs", **TIGHT).fit(X, y)
    b = SoftmaxRegression(solver="newton-cg", **TIGHT).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-7)
    assert b.n_iter_ < a.n_iter_


# -- errors ----------------------------------------------------------------------------------


def test_bad_input_raises_scikit_learn_errors():
    X, y = _small_multiclass()
    with pytest.raises(ValueError, match="only one class"):
        SoftmaxRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="only one class"):
        MultiLabelLogistic().fit(X, np.zeros(len(y)))
    Xn = X.copy()
    Xn[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SoftmaxRegression().fit(Xn, y)
    Xn[3, 2] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        MultiLabelLogistic().fit(Xn, np.eye(4)[y])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SoftmaxRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        SoftmaxRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    Y = np.eye(4)[y]
    Y[5, 1] = 1.5
    with pytest.raises(ValueError, match=r"Y values must be in \[0, 1\].*Y\[5, 1\]"):
        MultiLabelLogistic().fit(X, Y)
    with pytest.raises(ValueError, match=r"must be in \[0, 1\].*y\[5, 1\]"):
        SoftmaxRegression().fit(X, Y)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        MultiLabelLogistic().fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxRegression().fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match=r"pos_weight must have shape \(4,\)"):
        MultiLabelLogistic(pos_weight=[1.0, 2.0]).fit(X, np.eye(4)[y])
    with pytest.raises(ValueError, match="class_weight keys must be class indices"):
        SoftmaxRegression(class_weight={7: 1.0}).fit(X, np.eye(4)[y])
    with pytest.raises(ValueError, match="The 'C' parameter"):
        SoftmaxRegression(C=0).fit(X, y)
    with pytest.raises(ValueError, match="The 'n_threads' parameter"):
        SoftmaxRegression(n_threads=0).fit(X, y)
    with pytest.raises(ValueError, match="The 'label_smoothing' parameter"):
        MultiLabelLogistic(label_smoothing=1.5).fit(X, np.eye(4)[y])
    with pytest.raises(ValueError, match="X has 11 features"):
        SoftmaxRegression().fit(X, y).predict(X[:, :11])
    with pytest.raises(NotFittedError):
        MultiLabelLogistic().predict(X)


# -- scikit-learn plumbing -------------------------------------------------------------------


def test_pipeline_grid_search_and_log_loss_cross_validation():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression(max_iter=300))
    scores = cross_val_score(pipe, X, y, cv=3, scoring="neg_log_loss")
    ref = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)),
                          X, y, cv=3, scoring="neg_log_loss")
    np.testing.assert_allclose(scores, ref, rtol=1e-3)
    gs = GridSearchCV(pipe, {"softmaxregression__C": [0.01, 1.0]}, cv=3,
                      scoring="neg_log_loss").fit(X, y)
    assert gs.best_params_["softmaxregression__C"] in (0.01, 1.0)


def test_skxent_scorers_work_in_cross_val_score():
    metrics = pytest.importorskip("skxent.metrics")
    X, y = _scaled(load_iris)
    est = SoftmaxRegression()
    a = cross_val_score(est, X, y, cv=3, scoring=metrics.neg_log_loss_scorer)
    b = cross_val_score(est, X, y, cv=3, scoring="neg_log_loss")
    np.testing.assert_allclose(a, b, rtol=1e-10)
    c = cross_val_score(est, X, y, cv=3, scoring=metrics.neg_log_loss_logits_scorer)
    np.testing.assert_allclose(c, b, rtol=1e-6)
    Xm, Ym = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    Xm = StandardScaler().fit_transform(Xm)
    d = cross_val_score(MultiLabelLogistic(), Xm, Ym, cv=3,
                        scoring=metrics.neg_multilabel_log_loss_scorer)
    assert np.all(d < 0)


@pytest.mark.parametrize("Est", [SoftmaxRegression, MultiLabelLogistic])
def test_clone_pickle_and_pandas_feature_names(Est):
    pd = pytest.importorskip("pandas")
    X, y = _small_multiclass()
    if Est is MultiLabelLogistic:
        y = np.eye(4)[y].astype(int)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = Est(C=0.3).fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, df.columns)
    assert est.n_features_in_ == X.shape[1]
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict_proba(df), est.predict_proba(df))
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "coef_")
    np.testing.assert_allclose(np.exp(est.predict_log_proba(df)), est.predict_proba(df),
                               rtol=1e-12)


def test_multilabel_lbfgs_follows_scikit_learns_per_label_iterates():
    # Per-label L-BFGS-B in lockstep: at the default tol the iterates are scikit-learn's, so the
    # solutions agree far below tol and the iteration count is the largest per-label count.
    X, Y = make_multilabel_classification(800, 20, n_classes=5, random_state=3)
    X = StandardScaler().fit_transform(X)
    ours = MultiLabelLogistic().fit(X, Y)
    with threadpool_limits(1, user_api="blas"):
        ref = MultiOutputClassifier(LogisticRegression()).fit(X, Y)
    ref_coef = np.vstack([e.coef_ for e in ref.estimators_])
    np.testing.assert_allclose(ours.coef_, ref_coef, rtol=1e-6, atol=1e-8)
    assert ours.n_iter_ == max(e.n_iter_[0] for e in ref.estimators_)


def test_multilabel_verbose_prints_one_line_per_shared_pass():
    X, Y = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    buf = io.StringIO()
    with redirect_stdout(buf):
        est = MultiLabelLogistic(verbose=1).fit(X, Y)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.startswith("iter")]
    assert len(lines) >= est.n_iter_
    assert "active" in lines[0] and "elapsed" in lines[0]
