"""scikit-learn's own tests of brier_score_loss, d2_brier_score and d2_log_loss_score, run
against skxent's.

Design note
-----------
The drop-in claim of ``skxent.metrics.brier_score_loss``, ``d2_brier_score`` and
``d2_log_loss_score`` is checked with the tests scikit-learn ships for them, as
``tests/test_sklearn_log_loss_suite.py`` does for ``log_loss``. Included:

* ``sklearn/metrics/tests/test_classification.py``: every test whose body calls one of the
  three (``test_brier_score_loss_*``, ``test_d2_log_loss_score*``, ``test_d2_brier_score*``,
  ...), all cases; and the cases of other tests whose parameters select one of them
  (``test_classification_metric_pos_label_types[brier_score_loss-...]``);
* ``sklearn/metrics/tests/test_common.py``: every parametrization whose parameters select one
  of the three, by name (``"brier_score_loss"``...) or by function object (the invariance,
  sample-weight, pos_label, label-order, dtype and array-API checks);
* ``sklearn/metrics/tests/test_score_objects.py``: ``test_brier_score_loss_pos_label`` (calls
  the function and a ``make_scorer`` of it), the ``test_scorer_select_proba_error`` case built
  on ``brier_score_loss``, the ``test_scorer_memmap_input`` cases of the scorer names
  ``"neg_brier_score"``, ``"d2_brier_score"`` and ``"d2_log_loss_score"``, and
  ``test_classification_scorer_sample_weight`` (which calls every classification scorer with
  and without sample weights): there the scorer registry ``_SCORERS`` is patched so that those
  names give skxent's scorers.

Left out: the rest of ``test_score_objects.py`` (it exercises the scorer machinery, not the
metrics, and builds its scorers from the registry in ways that do not depend on the metric),
and the tests of other modules that merely use ``brier_score_loss`` as a yardstick
(``sklearn/tests/test_calibration.py`` compares calibrators with it;
``test_discriminant_analysis.py`` uses ``scoring="d2_brier_score"``): they test estimators.
The array-API cases are collected with their own skip marks (they skip unless
``SCIPY_ARRAY_API=1`` and an array library are available; skxent computes in NumPy).

Each case runs with the module-level names and the metric registries (``ALL_METRICS``,
``CONTINUOUS_CLASSIFICATION_METRICS``...) monkeypatched to skxent's functions, and with
``make_scorer`` objects built on scikit-learn's functions rebuilt on skxent's, so every call the
test makes reaches skxent. Fixtures come from pytest (``request.getfixturevalue``); the ones the
included tests define in their own module are taken from it below, and ``global_random_seed``
(scikit-learn's conftest, not loaded here) is provided. The collection and running machinery is
shared with the other scikit-learn suites (``tests/_sklearn_suite.py``).

If the installed scikit-learn ships without its tests, the module is skipped.
"""

import inspect
import re

import pytest
from _sklearn_suite import MetricSwap, collect, import_sklearn_tests, run_case
from _sklearn_suite import global_random_seed  # noqa: F401 (a fixture: pytest finds it here)

sk_test_classification, sk_test_common, sk_test_score_objects = import_sklearn_tests(
    "sklearn.metrics.tests.test_classification", "sklearn.metrics.tests.test_common",
    "sklearn.metrics.tests.test_score_objects")
# fixtures of the included score_objects tests, defined in their module
memmap_data_and_estimators = sk_test_score_objects.memmap_data_and_estimators
string_labeled_classification_problem = (
    sk_test_score_objects.string_labeled_classification_problem)

import sklearn.metrics as skm  # noqa: E402
from sklearn.metrics import _scorer as sk_scorer  # noqa: E402

import skxent.metrics as sxm  # noqa: E402

_NAMES = ("brier_score_loss", "d2_brier_score", "d2_log_loss_score")
_CALLS = re.compile(r"(?<![\w.])(" + "|".join(_NAMES) + r")\s*\(")
# scorer registry names -> skxent's scorers
_SCORERS = {
    "neg_brier_score": sxm.neg_brier_score_scorer,
    "d2_brier_score": sxm.d2_brier_scorer,
    "d2_log_loss_score": sxm.d2_log_loss_scorer,
}
# the names that select one of the three in scikit-learn's parametrizations: metric registries,
# scorer names
_SWAP = MetricSwap({getattr(skm, name): getattr(sxm, name) for name in _NAMES},
                   set(_NAMES) | set(_SCORERS))
# tests included whole although no parametrization names the metrics (see the module note)
_WHOLE = {
    "test_sample_order_invariance_multilabel_and_multioutput",  # loops over the registries
    "test_brier_score_loss_pos_label",
    "test_classification_scorer_sample_weight",  # loops over every scorer
}


def _select(module, name, func):
    if name in _WHOLE or (
        module is sk_test_classification and _CALLS.search(inspect.getsource(func))
    ):
        return lambda kwargs: True
    return lambda kwargs: any(_SWAP.refers(v) for v in kwargs.values())


_CASES = collect([("classification", sk_test_classification), ("common", sk_test_common),
                  ("score_objects", sk_test_score_objects)], _select)


def _patch(monkeypatch, module):
    _SWAP.patch(monkeypatch, module)
    for key, scorer in _SCORERS.items():
        monkeypatch.setitem(sk_scorer._SCORERS, key, scorer)


def test_suite_collected_the_tests():
    """Guard against silently collecting nothing (e.g. renamed tests)."""
    ids = " ".join(p.id for p in _CASES)
    for expected in (
        "classification::test_brier_score_loss_binary",
        "classification::test_brier_score_loss_multiclass",
        "classification::test_d2_log_loss_score",
        "classification::test_d2_log_loss_score_y_pred_deprecation",
        "classification::test_d2_brier_score",
        "classification::test_classification_metric_pos_label_types[(0, 1)-brier_score_loss]",
        "common::test_binary_sample_weight_invariance[brier_score_loss]",
        "common::test_continuous_metric_permutation_invariance[d2_log_loss_score]",
        "common::test_sample_order_invariance_multilabel_and_multioutput",
        "common::test_mixed_array_api_namespace_input_compliance[d2_brier_score",
        "score_objects::test_brier_score_loss_pos_label",
        "score_objects::test_classification_scorer_sample_weight",
        "score_objects::test_scorer_memmap_input[neg_brier_score]",
        "score_objects::test_scorer_select_proba_error[scorer_brier_score_loss]",
    ):
        assert expected in ids, expected
    assert len(_CASES) >= 60


@pytest.mark.parametrize("module, name, kwargs", _CASES)
def test_sklearn_proba_metrics_case(module, name, kwargs, monkeypatch, request):
    """scikit-learn's test, with skxent's metrics swapped in, passes."""
    _patch(monkeypatch, module)
    run_case(getattr(module, name), {k: _SWAP.swap(v) for k, v in kwargs.items()}, request)
